-- herald_schedule finds the key's pending row through the unique index its ON CONFLICT arbitrates
-- on, instead of a separate UPDATE ... WHERE schedule_key = ... AND state = 'pending'. PL/pgSQL
-- runs that UPDATE on a generic plan, and with statistics from an ANALYZE that saw no pending rows
-- (they are dispatched within seconds under load) the planner took the due-time index, equally
-- partial and "empty", and filtered every pending row by key: a bench run at 250 and 500
-- signups/s counted 280 buffer hits a call for an UPDATE that found nothing, the largest share of
-- PostgreSQL's work. An arbiter index is not the planner's choice. The common case, a key with
-- nothing pending, is now one INSERT; a key with a pending row cancels it in the same statement
-- (the DO UPDATE), then inserts the new row, so the history keeps the replaced one as before.
CREATE OR REPLACE FUNCTION herald_schedule(
  p_schedule_key text,
  p_topic text,
  p_message_key text,
  p_value jsonb,
  p_headers jsonb,
  p_due_at timestamptz,
  p_now timestamptz,
  p_active_user uuid DEFAULT NULL
) RETURNS TABLE (scheduled_id bigint, replaced boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
  v_cancelled boolean;
BEGIN
  IF p_active_user IS NOT NULL THEN
    PERFORM 1 FROM users WHERE id = p_active_user AND deleted_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  END IF;
  -- xmax is 0 for a freshly inserted row and set for one changed by DO UPDATE.
  INSERT INTO scheduled_messages AS s (schedule_key, topic, message_key, value, headers, due_at)
    VALUES (p_schedule_key, p_topic, p_message_key, p_value, p_headers, p_due_at)
    ON CONFLICT (schedule_key) WHERE state = 'pending' DO UPDATE SET state = 'cancelled', cancelled_at = p_now
    RETURNING s.id, s.xmax <> 0 INTO v_id, v_cancelled;
  IF NOT v_cancelled THEN
    scheduled_id := v_id;
    replaced := false;
    RETURN NEXT;
    RETURN;
  END IF;
  -- A concurrent call for the same key may commit its row after the cancellation; the INSERT then
  -- conflicts and takes that row over instead: the later call wins either way.
  INSERT INTO scheduled_messages AS s (schedule_key, topic, message_key, value, headers, due_at)
    VALUES (p_schedule_key, p_topic, p_message_key, p_value, p_headers, p_due_at)
    ON CONFLICT (schedule_key) WHERE state = 'pending' DO UPDATE SET
      topic = excluded.topic,
      message_key = excluded.message_key,
      value = excluded.value,
      headers = excluded.headers,
      due_at = excluded.due_at,
      created_at = now()
    RETURNING s.id INTO scheduled_id;
  replaced := true;
  RETURN NEXT;
END
$$;
