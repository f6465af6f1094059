CREATE TABLE "dead_letter_redrives" (
	"dlq_topic" text NOT NULL,
	"partition" integer NOT NULL,
	"offset" text NOT NULL,
	"redrive_count" integer NOT NULL,
	"redriven_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dead_letter_redrives_dlq_topic_partition_offset_pk" PRIMARY KEY("dlq_topic","partition","offset")
);
