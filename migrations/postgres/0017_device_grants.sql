-- Device authorization grants (RFC 8628): both codes are stored as SHA-256
-- hashes only. The approval columns are filled when the user approves.
CREATE TABLE device_grants (
    device_code_hash bytea PRIMARY KEY,
    user_code_hash   bytea NOT NULL UNIQUE,
    client_id        text NOT NULL,
    scopes           jsonb NOT NULL,
    interval_ns      bigint NOT NULL,
    last_polled_at   timestamptz,
    status           text NOT NULL,
    user_id          text NOT NULL,
    session_id       text NOT NULL,
    org_id           text NOT NULL,
    idp              text NOT NULL,
    amr              jsonb NOT NULL,
    auth_time        timestamptz,
    granted_scopes   jsonb NOT NULL,
    created_at       timestamptz,
    expires_at       timestamptz
);
CREATE INDEX device_grants_expires_idx ON device_grants (expires_at);
