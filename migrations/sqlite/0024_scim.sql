-- SCIM 2.0 provisioning (RFC 7643/7644), per organization: the
-- organization's bearer token (its SHA-256 only), and what SCIM keeps of
-- each user it manages there beyond the user and the membership: the
-- client's externalId, the name parts and addresses, whether SCIM created the user
-- (provisioned), whether the client has them active, and the role to give
-- back when a deactivated membership is reactivated.
CREATE TABLE scim_tokens (
    org_id     TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER
) STRICT;

CREATE TABLE scim_users (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL DEFAULT '',
    given_name  TEXT NOT NULL DEFAULT '',
    family_name TEXT NOT NULL DEFAULT '',
    -- emails: the client's list, JSON [{value, type, primary}].
    emails      TEXT NOT NULL DEFAULT '[]',
    provisioned INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    role        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER,
    updated_at  INTEGER,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX scim_users_user ON scim_users (user_id);
CREATE INDEX scim_users_created ON scim_users (org_id, created_at, user_id);
