-- Second factor: TOTP secrets (sealed by the application), single-use
-- recovery codes (SHA-256 only), half-finished sign-ins waiting for the
-- second factor, and the organization flag that requires one.

ALTER TABLE organizations ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

CREATE TABLE totp_factors (
    user_id      text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       bytea NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0,
    created_at   timestamptz
);

CREATE TABLE recovery_codes (
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_id text,
    return_to  text,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX mfa_challenges_expires_idx ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id);
