-- A mail the worker gave up on (too many attempts, or a permanent SMTP
-- refusal) is kept for the record but never claimed again.
ALTER TABLE mail_outbox ADD COLUMN failed_at timestamptz;
