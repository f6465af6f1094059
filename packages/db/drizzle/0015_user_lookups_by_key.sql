-- The lookups of users on every consumed message and every timeline batch run with sequential
-- scans off, as herald_take_due (migration 0013) does. A prepared statement keeps the generic plan
-- it made from the table's size at the time: made while users held a few hundred rows (a new
-- deployment, or the bench's emptied tables), that plan scans the table, and it scanned it on
-- every call as the table grew, until an ANALYZE replaced it (a quick bench run at 250 and 400
-- signups/s counted 4,892 sequential scans of users reading 14 million rows). The primary key
-- gives the same rows whatever the table's size.
ALTER FUNCTION herald_schedule(text, text, text, jsonb, jsonb, timestamptz, timestamptz, uuid) SET enable_seqscan = off;

-- The users among p_ids that are not deleted (a deleted user's personal data is erased).
CREATE FUNCTION herald_live_users(p_ids uuid[])
RETURNS TABLE (id uuid, email text, username text, full_name text)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
BEGIN
  RETURN QUERY
  SELECT u.id, u.email, u.username, u.full_name FROM users u WHERE u.id = ANY (p_ids) AND u.deleted_at IS NULL;
END
$$;

-- Timeline rows, one an element of the arrays; a redelivered event (same id) changes nothing. A
-- subject is a user not deleted, held FOR SHARE so that a deletion committing meanwhile waits for
-- this insert and then deletes what it wrote; or no user at all (an alert). The user is looked up
-- row by row: a subquery that locks is never flattened into a join, so no hash of the batch
-- against the whole table either.
CREATE FUNCTION herald_record_timeline(
  p_event_id text[],
  p_subject_id uuid[],
  p_correlation_id text[],
  p_channel text[],
  p_notification text[],
  p_status text[],
  p_attempt integer[],
  p_detail text[],
  p_error_code text[],
  p_error_message text[],
  p_next_at timestamptz[],
  p_trace_id text[],
  p_occurred_at timestamptz[]
) RETURNS void
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
BEGIN
  INSERT INTO notification_timeline
    (event_id, subject_id, correlation_id, channel, notification, status, attempt, detail,
     error_code, error_message, next_at, trace_id, occurred_at)
  SELECT i.event_id, i.subject_id, i.correlation_id, i.channel, i.notification, i.status, i.attempt,
         i.detail, i.error_code, i.error_message, i.next_at, i.trace_id, i.occurred_at
  FROM unnest(p_event_id, p_subject_id, p_correlation_id, p_channel, p_notification, p_status,
              p_attempt, p_detail, p_error_code, p_error_message, p_next_at, p_trace_id, p_occurred_at)
         AS i (event_id, subject_id, correlation_id, channel, notification, status, attempt, detail,
               error_code, error_message, next_at, trace_id, occurred_at)
  LEFT JOIN LATERAL (
    SELECT u.deleted_at IS NULL AS live FROM users u WHERE u.id = i.subject_id FOR SHARE
  ) s ON true
  WHERE s.live IS NULL OR s.live
  ON CONFLICT (event_id) DO NOTHING;
END
$$;
