-- Fewer index entries a settle writes. Each consumed event's settle inserts a processed_events
-- row and, when it owes messages, a consumer_outbox row that is deleted once they are out:
-- each b-tree on them is one more leaf insert (and WAL record) per event, four events a signup.
--
-- consumer_outbox is nearly empty at all times (rows live until their publish, milliseconds):
-- its sweep (every 15 s a group) and the daily deletion of abandoned rows read it whole, which
-- costs less than an index every settle writes.
DROP INDEX IF EXISTS "consumer_outbox_group_created_idx";--> statement-breakpoint
-- processed_at only serves the daily retention, which deletes the oldest rows: a BRIN index
-- (one summary per range of pages, rows arrive in time order) finds them at almost no cost to
-- each insert.
DROP INDEX IF EXISTS "processed_events_processed_at_idx";--> statement-breakpoint
CREATE INDEX "processed_events_processed_at_brin" ON "processed_events" USING brin ("processed_at");
