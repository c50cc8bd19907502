-- Leases keep background jobs (the janitor) to one process at a time; the
-- indexes let the janitor find expired rows without scanning whole tables.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX one_time_tokens_expires ON one_time_tokens (expires_at);
CREATE INDEX throttle_reset ON throttle (reset_at);
CREATE INDEX mail_sent ON mail (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX mail_failed ON mail (failed_at) WHERE failed_at IS NOT NULL;
