-- Pushed authorization requests (RFC 9126), keyed by the SHA-256 of the
-- request_uri's random part; each is used once.
CREATE TABLE pushed_requests (
    key_hash   BLOB PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    form       TEXT NOT NULL,
    created_at INTEGER,
    expires_at INTEGER
) STRICT;
CREATE INDEX pushed_requests_expires ON pushed_requests (expires_at);

-- RFC 9126 §6: require_pushed_authorization_requests per client.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0;
