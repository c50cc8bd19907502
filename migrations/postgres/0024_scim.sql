-- SCIM 2.0 provisioning (RFC 7643/7644), per organization: the
-- organization's bearer token (its SHA-256 only), and what SCIM keeps of
-- each user it manages there beyond the user and the membership: the
-- client's externalId, the name parts and addresses, whether SCIM created the user
-- (provisioned), whether the client has them active, and the role to give
-- back when a deactivated membership is reactivated.
CREATE TABLE scim_tokens (
    org_id     text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_at timestamptz
);

CREATE TABLE scim_users (
    org_id      text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    given_name  text NOT NULL,
    family_name text NOT NULL,
    -- emails: the client's list, JSON [{value, type, primary}].
    emails      text NOT NULL,
    provisioned boolean NOT NULL,
    active      boolean NOT NULL,
    role        text NOT NULL,
    created_at  timestamptz,
    updated_at  timestamptz,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX scim_users_user_idx ON scim_users (user_id);
CREATE INDEX scim_users_created_idx ON scim_users (org_id, created_at, user_id);
