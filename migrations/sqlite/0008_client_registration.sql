-- Dynamic client registration (RFC 7591, RFC 7592). Only SHA-256 hashes of
-- the bearer tokens are kept.

-- Initial access tokens let a holder register clients while registration is
-- protected; expires_at NULL never expires.
CREATE TABLE initial_access_tokens (
    token_hash BLOB PRIMARY KEY,
    created_at INTEGER,
    expires_at INTEGER
) STRICT;

-- The registration access token of a dynamically registered client; the row
-- goes with its client.
CREATE TABLE client_registrations (
    client_id  TEXT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL
) STRICT;
