-- Ostiary schema for PostgreSQL and PostgreSQL-compatible distributed engines:
-- plain types only, no extensions, no functions or triggers. Times are
-- timestamptz (NULL for a zero time), string lists are jsonb arrays, opaque
-- documents (JWKS, fosite sessions, invitation data) are bytea so they come
-- back byte for byte. Durations are bigint nanoseconds.

CREATE TABLE clients (
    id                                  text PRIMARY KEY,
    secret_hash                         bytea,
    name                                text NOT NULL,
    public                              boolean NOT NULL,
    first_party                         boolean NOT NULL,
    redirect_uris                       jsonb NOT NULL,
    post_logout_redirect_uris           jsonb NOT NULL,
    cors_origins                        jsonb NOT NULL,
    grant_types                         jsonb NOT NULL,
    response_types                      jsonb NOT NULL,
    scopes                              jsonb NOT NULL,
    audiences                           jsonb NOT NULL,
    token_endpoint_auth_method          text NOT NULL,
    jwks                                bytea,
    jwks_uri                            text NOT NULL,
    logo_uri                            text NOT NULL,
    policy_uri                          text NOT NULL,
    tos_uri                             text NOT NULL,
    backchannel_logout_uri              text NOT NULL,
    backchannel_logout_session_required boolean NOT NULL,
    -- Not a foreign key: a client may name its organization before it exists.
    org_id                              text NOT NULL,
    access_token_lifespan               bigint NOT NULL,
    refresh_token_lifespan              bigint NOT NULL,
    id_token_lifespan                   bigint NOT NULL,
    created_at                          timestamptz,
    updated_at                          timestamptz
);
CREATE INDEX clients_created_idx ON clients (created_at, id);

CREATE TABLE users (
    id             text PRIMARY KEY,
    email          text NOT NULL,
    -- The email lowercased by the application: the unique, case-insensitive
    -- key, kept as a plain column so no expression index is needed.
    email_key      text NOT NULL UNIQUE,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    email_verified boolean NOT NULL,
    disabled       boolean NOT NULL,
    admin          boolean NOT NULL,
    created_at     timestamptz,
    updated_at     timestamptz
);
CREATE INDEX users_created_idx ON users (created_at, id);

CREATE TABLE organizations (
    id         text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz,
    updated_at timestamptz
);

CREATE TABLE memberships (
    org_id     text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
    id         text PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Not a foreign key: the active organization is a preference, checked
    -- against memberships when tokens are issued.
    org_id     text NOT NULL,
    auth_time  timestamptz,
    amr        jsonb NOT NULL,
    ip         text NOT NULL,
    user_agent text NOT NULL,
    created_at timestamptz,
    last_seen  timestamptz,
    expires_at timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE auth_requests (
    id            text PRIMARY KEY,
    client_id     text NOT NULL,
    form          text NOT NULL,
    session_id    text NOT NULL,
    login_at      timestamptz,
    org_id        text NOT NULL,
    consent_given boolean NOT NULL,
    denied        boolean NOT NULL,
    created_at    timestamptz,
    expires_at    timestamptz
);
CREATE INDEX auth_requests_expires_idx ON auth_requests (expires_at);

CREATE TABLE consents (
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text NOT NULL,
    scopes     jsonb NOT NULL,
    created_at timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (user_id, client_id)
);

-- fosite's requests. No foreign keys: records outlive what they name, and a
-- refresh row must stay until it expires so reuse is detected.
CREATE TABLE tokens (
    kind              text NOT NULL,
    signature         text NOT NULL,
    request_id        text NOT NULL,
    requested_at      timestamptz,
    client_id         text NOT NULL,
    subject           text NOT NULL,
    session_id        text NOT NULL,
    org_id            text NOT NULL,
    scopes            jsonb NOT NULL,
    granted_scopes    jsonb NOT NULL,
    audiences         jsonb NOT NULL,
    granted_audiences jsonb NOT NULL,
    form              text NOT NULL,
    session           bytea,
    active            boolean NOT NULL,
    expires_at        timestamptz,
    access_signature  text NOT NULL,
    first_used_at     timestamptz,
    family_expires_at timestamptz,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX tokens_request_idx ON tokens (request_id);
CREATE INDEX tokens_subject_idx ON tokens (subject);
CREATE INDEX tokens_session_idx ON tokens (session_id);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

-- The signing key set is one document with a version, so rotation is a
-- single compare-and-swap UPDATE. The id is always 1.
CREATE TABLE key_set (
    id      smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    keys    jsonb NOT NULL
);

CREATE TABLE personal_access_tokens (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    scopes       jsonb NOT NULL,
    created_at   timestamptz,
    expires_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens (user_id);

CREATE TABLE one_time_tokens (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL,
    -- NULL when the token is for an address without an account (invitations).
    user_id    text REFERENCES users (id) ON DELETE CASCADE,
    email      text NOT NULL,
    -- Lowercased email: a newer token for the same address replaces older ones.
    email_key  text NOT NULL,
    data       bytea,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX one_time_tokens_email_idx ON one_time_tokens (purpose, email_key);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id);

CREATE TABLE mail_outbox (
    id              text PRIMARY KEY,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    created_at      timestamptz,
    attempts        bigint NOT NULL,
    next_attempt_at timestamptz,
    sent_at         timestamptz,
    last_error      text NOT NULL
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at);
CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at, id);

CREATE TABLE audit_events (
    id         text PRIMARY KEY,
    time       timestamptz,
    type       text NOT NULL,
    actor_id   text NOT NULL,
    subject_id text NOT NULL,
    client_id  text NOT NULL,
    org_id     text NOT NULL,
    ip         text NOT NULL,
    details    jsonb NOT NULL
);
CREATE INDEX audit_events_time_idx ON audit_events (time, id);

CREATE TABLE throttle (
    key      text PRIMARY KEY,
    count    bigint NOT NULL,
    reset_at timestamptz NOT NULL
);
