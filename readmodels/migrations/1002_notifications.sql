-- The outbox of reminders to deliver, written by the projector in the same transaction as
-- its checkpoint: a reminder event yields exactly one row, across crashes and rebuilds.
-- A sender leases a row ('sending') in one short statement and sends with no transaction
-- open (an open writing transaction would hold back the event store's global feed).
CREATE TABLE notifications (
    event_id        uuid PRIMARY KEY,
    project_id      text NOT NULL,
    kind            text NOT NULL,
    reminder_key    text NOT NULL,
    recipients      text[] NOT NULL,
    subject         text NOT NULL,
    due_at          timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    lease_until     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    sent_to         text[]
);
CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_sending ON notifications (lease_until) WHERE status = 'sending';

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE ON notifications TO collab_app;
    END IF;
END
$$;
