CREATE TABLE "consumer_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"consumer_group" text NOT NULL,
	"event_id" text NOT NULL,
	"messages" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "consumer_outbox_group_created_idx" ON "consumer_outbox" USING btree ("consumer_group","created_at");