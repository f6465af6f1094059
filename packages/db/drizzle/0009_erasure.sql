ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "username" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "full_name" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "scheduled_messages_key_prefix_idx" ON "scheduled_messages" USING btree ("schedule_key" text_pattern_ops);--> statement-breakpoint
-- Users deleted before erasure: erased now as a deletion erases (users.repository.ts deleteUser
-- and the scheduler's onUserDeleted), so that the check below holds and nothing of theirs stays.
DELETE FROM "outbox" WHERE "topic" = 'user.created.v1' AND "key" IN (SELECT "id"::text FROM "users" WHERE "deleted_at" IS NOT NULL);--> statement-breakpoint
DELETE FROM "notification_timeline" WHERE "subject_id" IN (SELECT "id" FROM "users" WHERE "deleted_at" IS NOT NULL);--> statement-breakpoint
DELETE FROM "idempotency_keys" WHERE "response" ->> 'id' IN (SELECT "id"::text FROM "users" WHERE "deleted_at" IS NOT NULL);--> statement-breakpoint
DELETE FROM "scheduled_messages" WHERE "schedule_key" IN (SELECT 'follow-up:' || "id" FROM "users" WHERE "deleted_at" IS NOT NULL);--> statement-breakpoint
UPDATE "users" SET "email" = NULL, "username" = NULL, "full_name" = NULL WHERE "deleted_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_deleted_are_erased" CHECK (case when "users"."deleted_at" is null
        then "users"."email" is not null and "users"."username" is not null and "users"."full_name" is not null
        else "users"."email" is null and "users"."username" is null and "users"."full_name" is null end);