-- Follow-ups stored before follow-up.requested.v2: the email service consumes only v2 (it reads the
-- user's address and name when it sends), so a pending v1 row would never be sent. Every v1 row
-- becomes v2, keeping the envelope and only the user's id and due time of its data: pending rows
-- are then sent as any other, and no row keeps an address.
UPDATE "scheduled_messages"
SET "topic" = 'follow-up.requested.v2',
    "value" = jsonb_set(
      jsonb_set("value", '{version}', '2'::jsonb),
      '{data}',
      jsonb_build_object('userId', "value" -> 'data' -> 'userId', 'dueAt', "value" -> 'data' -> 'dueAt'))
WHERE "topic" = 'follow-up.requested.v1';
