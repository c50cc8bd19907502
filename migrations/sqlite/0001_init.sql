-- Ostiary schema for the embedded SQLite store.
-- Times are INTEGER unix microseconds in UTC; NULL is the zero time.
-- Lists and maps are JSON text; NULL is none. Durations are INTEGER nanoseconds.

CREATE TABLE clients (
    id                                  TEXT PRIMARY KEY,
    secret_hash                         BLOB,
    name                                TEXT NOT NULL DEFAULT '',
    public                              INTEGER NOT NULL DEFAULT 0,
    first_party                         INTEGER NOT NULL DEFAULT 0,
    redirect_uris                       TEXT,
    post_logout_redirect_uris           TEXT,
    cors_origins                        TEXT,
    grant_types                         TEXT,
    response_types                      TEXT,
    scopes                              TEXT,
    audiences                           TEXT,
    token_endpoint_auth_method          TEXT NOT NULL DEFAULT '',
    jwks                                BLOB,
    jwks_uri                            TEXT NOT NULL DEFAULT '',
    logo_uri                            TEXT NOT NULL DEFAULT '',
    policy_uri                          TEXT NOT NULL DEFAULT '',
    tos_uri                             TEXT NOT NULL DEFAULT '',
    backchannel_logout_uri              TEXT NOT NULL DEFAULT '',
    backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0,
    org_id                              TEXT NOT NULL DEFAULT '',
    access_token_lifespan               INTEGER NOT NULL DEFAULT 0,
    refresh_token_lifespan              INTEGER NOT NULL DEFAULT 0,
    id_token_lifespan                   INTEGER NOT NULL DEFAULT 0,
    created_at                          INTEGER,
    updated_at                          INTEGER
) STRICT;
CREATE INDEX clients_created ON clients (created_at, id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    -- email_lower makes uniqueness and lookup ignore case, with Go's
    -- Unicode case folding rather than SQLite's ASCII-only NOCASE.
    email_lower    TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL DEFAULT '',
    email_verified INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    admin          INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER,
    updated_at     INTEGER
) STRICT;
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER,
    updated_at INTEGER
) STRICT;

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at INTEGER,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL DEFAULT '',
    auth_time  INTEGER,
    amr        TEXT,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at INTEGER,
    last_seen  INTEGER,
    expires_at INTEGER
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE auth_requests (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL DEFAULT '',
    form          TEXT NOT NULL DEFAULT '',
    session_id    TEXT NOT NULL DEFAULT '',
    login_at      INTEGER,
    org_id        TEXT NOT NULL DEFAULT '',
    consent_given INTEGER NOT NULL DEFAULT 0,
    denied        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    expires_at    INTEGER
) STRICT;
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);

-- No foreign key to clients: the contract does not make DeleteClient
-- cascade, and PutConsent has no error for an unknown client.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scopes     TEXT,
    created_at INTEGER,
    updated_at INTEGER,
    PRIMARY KEY (user_id, client_id)
) STRICT;

-- fosite's requests. Inactive rows stay until they expire so that reuse of
-- a rotated refresh token is recognised.
CREATE TABLE tokens (
    kind              TEXT NOT NULL,
    signature         TEXT NOT NULL,
    request_id        TEXT NOT NULL DEFAULT '',
    requested_at      INTEGER,
    client_id         TEXT NOT NULL DEFAULT '',
    subject           TEXT NOT NULL DEFAULT '',
    session_id        TEXT NOT NULL DEFAULT '',
    org_id            TEXT NOT NULL DEFAULT '',
    scopes            TEXT,
    granted_scopes    TEXT,
    audiences         TEXT,
    granted_audiences TEXT,
    form              TEXT NOT NULL DEFAULT '',
    session           BLOB,
    active            INTEGER NOT NULL,
    expires_at        INTEGER,
    access_signature  TEXT NOT NULL DEFAULT '',
    first_used_at     INTEGER,
    family_expires_at INTEGER,
    PRIMARY KEY (kind, signature)
) STRICT;
CREATE INDEX tokens_request ON tokens (request_id);
CREATE INDEX tokens_subject ON tokens (subject);
CREATE INDEX tokens_session ON tokens (session_id);
CREATE INDEX tokens_expires ON tokens (expires_at);

-- The signing key set is one unit: key_set holds its version for
-- compare-and-swap, signing_keys its members in order.
CREATE TABLE key_set (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY,
    position     INTEGER NOT NULL,
    algorithm    TEXT NOT NULL DEFAULT '',
    public_jwk   BLOB,
    private_key  BLOB,
    created_at   INTEGER,
    active_from  INTEGER,
    retired_at   INTEGER,
    unpublish_at INTEGER
) STRICT;

CREATE TABLE pats (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   BLOB NOT NULL UNIQUE,
    scopes       TEXT,
    created_at   INTEGER,
    expires_at   INTEGER,
    last_used_at INTEGER
) STRICT;
CREATE INDEX pats_user ON pats (user_id, created_at);

-- user_id is NULL for invitations to someone without an account.
CREATE TABLE one_time_tokens (
    token_hash BLOB PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL DEFAULT '',
    data       BLOB,
    created_at INTEGER,
    expires_at INTEGER
) STRICT;
CREATE INDEX one_time_tokens_purpose_email ON one_time_tokens (purpose, email);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id);

CREATE TABLE mail (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    text_body       TEXT NOT NULL DEFAULT '',
    html_body       TEXT NOT NULL DEFAULT '',
    created_at      INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    sent_at         INTEGER,
    last_error      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX mail_due ON mail (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_created ON mail (created_at);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    time       INTEGER,
    type       TEXT NOT NULL DEFAULT '',
    actor_id   TEXT NOT NULL DEFAULT '',
    subject_id TEXT NOT NULL DEFAULT '',
    client_id  TEXT NOT NULL DEFAULT '',
    org_id     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    details    TEXT
) STRICT;
CREATE INDEX audit_events_time ON audit_events (time, id);

CREATE TABLE throttle (
    key      TEXT PRIMARY KEY,
    count    INTEGER NOT NULL,
    reset_at INTEGER NOT NULL
) STRICT;
