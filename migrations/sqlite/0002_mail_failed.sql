-- A mail the worker gave up on (too many attempts, or a permanent SMTP
-- refusal) is kept for the record but never claimed again.
ALTER TABLE mail ADD COLUMN failed_at INTEGER;
DROP INDEX mail_due;
CREATE INDEX mail_due ON mail (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
