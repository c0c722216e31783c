-- /metrics counts the reminders given up on at every scrape: a partial index keeps that a
-- look at the failed rows alone (pending and sending have theirs, 1002_notifications.sql),
-- never a scan of every reminder ever sent.
CREATE INDEX notifications_failed ON notifications (created_at) WHERE status = 'failed';
