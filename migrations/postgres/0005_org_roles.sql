-- Custom roles an organization defines beyond owner, admin and member.
CREATE TABLE org_roles (
    org_id      text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text NOT NULL,
    created_at  timestamptz,
    PRIMARY KEY (org_id, name)
);
