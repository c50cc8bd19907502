-- Mail bodies carry live sign-in links (reset, verification, invitation), so
-- they are no longer kept readable: provider/mail seals each body with a key
-- derived from the system secret into body, and the row drops it once the
-- mail is delivered or given up. Mails still waiting in plaintext cannot be
-- sealed here (no secret in SQL): they are given up, and the person asks for
-- a new link. Every plaintext body goes.
ALTER TABLE mail_outbox ADD COLUMN body bytea;
UPDATE mail_outbox SET failed_at = now(), last_error = 'dropped by migration 0014: plaintext mail body'
    WHERE sent_at IS NULL AND failed_at IS NULL;
ALTER TABLE mail_outbox DROP COLUMN text_body;
ALTER TABLE mail_outbox DROP COLUMN html_body;
