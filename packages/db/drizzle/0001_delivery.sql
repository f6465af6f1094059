CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_timeline" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"correlation_id" text NOT NULL,
	"channel" text NOT NULL,
	"notification" text NOT NULL,
	"status" text NOT NULL,
	"attempt" integer NOT NULL,
	"detail" text,
	"error_code" text,
	"error_message" text,
	"next_at" timestamp with time zone,
	"trace_id" text,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "notification_timeline_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"consumer_group" text NOT NULL,
	"event_id" text NOT NULL,
	"outcome" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_group_event_id_pk" PRIMARY KEY("consumer_group","event_id")
);
--> statement-breakpoint
CREATE TABLE "recurring_jobs" (
	"name" text PRIMARY KEY NOT NULL,
	"cron" text NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone,
	"last_outcome" text
);
--> statement-breakpoint
CREATE TABLE "scheduled_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"schedule_key" text NOT NULL,
	"topic" text NOT NULL,
	"message_key" text NOT NULL,
	"value" jsonb NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "notification_timeline_subject_idx" ON "notification_timeline" USING btree ("subject_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "scheduled_messages_due_idx" ON "scheduled_messages" USING btree ("due_at") WHERE "scheduled_messages"."state" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "scheduled_messages_pending_key" ON "scheduled_messages" USING btree ("schedule_key") WHERE "scheduled_messages"."state" = 'pending';