-- Device authorization grants (RFC 8628): both codes are stored as SHA-256
-- hashes only. The approval columns are filled when the user approves.
CREATE TABLE device_grants (
    device_code_hash BLOB PRIMARY KEY,
    user_code_hash   BLOB NOT NULL UNIQUE,
    client_id        TEXT NOT NULL DEFAULT '',
    scopes           TEXT,
    interval_ns      INTEGER NOT NULL DEFAULT 0,
    last_polled_at   INTEGER,
    status           TEXT NOT NULL DEFAULT 'pending',
    user_id          TEXT NOT NULL DEFAULT '',
    session_id       TEXT NOT NULL DEFAULT '',
    org_id           TEXT NOT NULL DEFAULT '',
    idp              TEXT NOT NULL DEFAULT '',
    amr              TEXT,
    auth_time        INTEGER,
    granted_scopes   TEXT,
    created_at       INTEGER,
    expires_at       INTEGER
) STRICT;
CREATE INDEX device_grants_expires ON device_grants (expires_at);
