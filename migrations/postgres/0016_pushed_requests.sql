-- Pushed authorization requests (RFC 9126), keyed by the SHA-256 of the
-- request_uri's random part; each is used once.
CREATE TABLE pushed_requests (
    key_hash   bytea PRIMARY KEY,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    form       text NOT NULL,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX pushed_requests_expires_idx ON pushed_requests (expires_at);

-- RFC 9126 §6: require_pushed_authorization_requests per client.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;
