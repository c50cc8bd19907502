-- Passkeys (WebAuthn discoverable credentials): the public credential
-- record of each, and the ceremonies in progress. A challenge is keyed by
-- the SHA-256 of a random secret the browser holds, and taken (deleted)
-- when used, so any replica can finish a ceremony and none twice.
CREATE TABLE passkeys (
    id            text PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    credential    bytea NOT NULL,
    name          text NOT NULL,
    aaguid        bytea,
    attachment    text NOT NULL,
    sign_count    bigint NOT NULL,
    clone_warning boolean NOT NULL,
    created_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

CREATE TABLE passkey_challenges (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL,
    user_id    text NOT NULL,
    session    bytea NOT NULL,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX passkey_challenges_expires_idx ON passkey_challenges (expires_at);
