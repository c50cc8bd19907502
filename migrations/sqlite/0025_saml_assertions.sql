-- SAML assertions accepted from organizations' identity providers: the
-- SHA-256 of the connector and the assertion's ID, kept until the assertion
-- could no longer be accepted, so a response replayed to any replica is
-- refused.
CREATE TABLE saml_assertions (
    id_hash    BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);
