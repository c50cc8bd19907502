-- Leases keep background jobs (the janitor) to one process at a time; the
-- indexes let the janitor find expired rows without scanning whole tables.
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX one_time_tokens_expires_idx ON one_time_tokens (expires_at);
CREATE INDEX throttle_reset_idx ON throttle (reset_at);
CREATE INDEX mail_outbox_sent_idx ON mail_outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX mail_outbox_failed_idx ON mail_outbox (failed_at) WHERE failed_at IS NOT NULL;
