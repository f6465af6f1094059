-- herald_take_due planned for the rows a take actually meets, not for what the statistics or its
-- limit promise. Two parts were planned as if they read many rows, and then did:
-- - the next due time, min(due_at) over the pending rows: when the statistics said few rows were
--   pending (an ANALYZE made before the follow-ups of the last seconds were scheduled), the plan
--   read every pending row and aggregated them, on every take (2,499 rows for the one it needed in
--   a run at 250 signups/s; a table of three days of follow-ups would be read whole). ORDER BY the
--   index's columns with LIMIT 1 stops at the first row whatever the statistics say.
-- - the update of the taken rows, joined to them by id: planned for p_limit rows (2,000), it hashed
--   every row of the table's primary key to update the 13 it took (7,859 rows read, 18 ms). The ids
--   as an array are looked up one by one in the primary key, however many the planner expects.
CREATE OR REPLACE FUNCTION herald_take_due(
  p_now timestamptz,
  p_limit integer,
  p_topics text[] DEFAULT NULL,
  p_topic_prefix text DEFAULT NULL,
  p_key_prefix text DEFAULT NULL
) RETURNS TABLE (taken json, next_due timestamptz)
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
BEGIN
  -- The statement's snapshot still sees the taken rows pending: next_due leaves them out by id.
  RETURN QUERY
  WITH claimed AS (
    SELECT s.id FROM scheduled_messages s
    WHERE s.state = 'pending' AND s.due_at <= p_now
      AND (p_topics IS NULL OR s.topic = ANY (p_topics))
      AND (p_topic_prefix IS NULL OR starts_with(s.topic, p_topic_prefix))
      AND (p_key_prefix IS NULL OR starts_with(s.schedule_key, p_key_prefix))
    ORDER BY s.due_at, s.id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ), dispatched AS (
    UPDATE scheduled_messages s SET state = 'dispatched', dispatched_at = p_now
    WHERE s.id = ANY (ARRAY(SELECT c.id FROM claimed c))
    RETURNING s.id, s.schedule_key, s.topic, s.message_key, s.value, s.headers, s.due_at
  )
  SELECT
    (SELECT coalesce(json_agg(json_build_object(
       'id', d.id::text, 'scheduleKey', d.schedule_key, 'topic', d.topic, 'key', d.message_key,
       'value', d.value, 'headers', d.headers, 'dueAt', d.due_at) ORDER BY d.due_at, d.id), '[]'::json)
     FROM dispatched d),
    (SELECT s.due_at FROM scheduled_messages s
     WHERE s.state = 'pending'
       AND (p_topics IS NULL OR s.topic = ANY (p_topics))
       AND (p_topic_prefix IS NULL OR starts_with(s.topic, p_topic_prefix))
       AND (p_key_prefix IS NULL OR starts_with(s.schedule_key, p_key_prefix))
       AND s.id NOT IN (SELECT c.id FROM claimed c)
     ORDER BY s.due_at, s.id
     LIMIT 1);
END
$$;
