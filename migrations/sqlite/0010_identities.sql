-- Upstream identities linked to people (single sign-on through a connector),
-- and what a browser session needs to name and end its upstream sign-in.
CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connector_id TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER,
    UNIQUE (issuer, subject)
) STRICT;
CREATE INDEX identities_user ON identities (user_id);

ALTER TABLE sessions ADD COLUMN idp TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN upstream_id_token TEXT NOT NULL DEFAULT '';

-- Enterprise single sign-on: an organization's upstream connector, and the
-- email domains it claims (home-realm discovery).
CREATE TABLE org_connectors (
    org_id          TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    connector_id    TEXT NOT NULL,
    default_role    TEXT NOT NULL DEFAULT 'member',
    forbid_password INTEGER NOT NULL DEFAULT 0,
    group_roles     TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER,
    updated_at      INTEGER
) STRICT;

CREATE TABLE org_domains (
    domain      TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    token       TEXT NOT NULL,
    verified_at INTEGER,
    created_at  INTEGER
) STRICT;
CREATE INDEX org_domains_org ON org_domains (org_id);

-- Connectors added at run time (CLI, admin API), besides the YAML ones.
-- The upstream client secret is sealed with a key derived from the system
-- secret: Ostiary must present it, so it cannot be hashed.
CREATE TABLE connectors (
    id            TEXT PRIMARY KEY,
    config        TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_at    INTEGER,
    updated_at    INTEGER
) STRICT;
