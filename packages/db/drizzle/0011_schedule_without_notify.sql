-- herald_schedule no longer sends NOTIFY herald_scheduler. PostgreSQL serializes the commits of
-- all transactions that notify, WAL flush included, so every signup's schedule (and its signup,
-- which notified the relay) queued behind the others' flushes. The scheduler that calls it wakes
-- its own dispatcher instead, and the other replicas find the row on their next look.
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
  v_cancelled integer;
  v_took_over boolean;
BEGIN
  IF p_active_user IS NOT NULL THEN
    PERFORM 1 FROM users WHERE id = p_active_user AND deleted_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  END IF;
  UPDATE scheduled_messages SET state = 'cancelled', cancelled_at = p_now
    WHERE schedule_key = p_schedule_key AND state = 'pending';
  GET DIAGNOSTICS v_cancelled = ROW_COUNT;
  -- A concurrent call for the same key may commit its row between the UPDATE and the INSERT;
  -- the INSERT then conflicts on the partial unique index and takes that row over instead.
  INSERT INTO scheduled_messages AS s (schedule_key, topic, message_key, value, headers, due_at)
    VALUES (p_schedule_key, p_topic, p_message_key, p_value, p_headers, p_due_at)
    ON CONFLICT (schedule_key) WHERE state = 'pending' DO UPDATE SET
      topic = excluded.topic,
      message_key = excluded.message_key,
      value = excluded.value,
      headers = excluded.headers,
      due_at = excluded.due_at,
      created_at = now()
    -- xmax is 0 for a freshly inserted row and set for one taken over by DO UPDATE.
    RETURNING s.id, s.xmax <> 0 INTO scheduled_id, v_took_over;
  replaced := v_cancelled > 0 OR v_took_over;
  RETURN NEXT;
END
$$;
