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
