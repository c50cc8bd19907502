-- Passkeys (WebAuthn discoverable credentials): the public credential
-- record of each, and the ceremonies in progress. A challenge is keyed by
-- the SHA-256 of a random secret the browser holds, and taken (deleted)
-- when used, so any replica can finish a ceremony and none twice.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    credential    BLOB NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    aaguid        BLOB,
    attachment    TEXT NOT NULL DEFAULT '',
    sign_count    INTEGER NOT NULL DEFAULT 0,
    clone_warning INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE passkey_challenges (
    token_hash BLOB PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    session    BLOB NOT NULL,
    created_at INTEGER,
    expires_at INTEGER
) STRICT;
CREATE INDEX passkey_challenges_expires ON passkey_challenges (expires_at);
