-- The dispatcher's take, as a function planned with sequential scans disabled. Its statement chose
-- a sequential scan and a sort whenever the last ANALYZE had seen the pending rows' due times still
-- ahead: by the time of the take they are all due, the estimate says every pending row matches,
-- and a scan of the whole table looks cheaper than the index. In a full bench run that meant 8,074
-- sequential scans reading 101 million rows to take a few due rows each; on a table holding a
-- week of dispatched rows it would be a scan of the week at every take. The partial index on
-- (due_at, id) of the pending rows gives the take's rows in its order whatever the statistics say.
CREATE FUNCTION herald_take_due(
  p_now timestamptz,
  p_limit integer,
  p_topics text[] DEFAULT NULL,
  p_topic_prefix text DEFAULT NULL,
  p_key_prefix text DEFAULT NULL
) RETURNS TABLE (taken json, next_due timestamptz)
LANGUAGE plpgsql
SET enable_seqscan = off
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
    FROM claimed c WHERE s.id = c.id
    RETURNING s.id, s.schedule_key, s.topic, s.message_key, s.value, s.headers, s.due_at
  )
  SELECT
    (SELECT coalesce(json_agg(json_build_object(
       'id', d.id::text, 'scheduleKey', d.schedule_key, 'topic', d.topic, 'key', d.message_key,
       'value', d.value, 'headers', d.headers, 'dueAt', d.due_at) ORDER BY d.due_at, d.id), '[]'::json)
     FROM dispatched d),
    (SELECT min(s.due_at) FROM scheduled_messages s
     WHERE s.state = 'pending'
       AND (p_topics IS NULL OR s.topic = ANY (p_topics))
       AND (p_topic_prefix IS NULL OR starts_with(s.topic, p_topic_prefix))
       AND (p_key_prefix IS NULL OR starts_with(s.schedule_key, p_key_prefix))
       AND s.id NOT IN (SELECT c.id FROM claimed c));
END
$$;
