-- Custom roles an organization defines beyond owner, admin and member.
CREATE TABLE org_roles (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER,
    PRIMARY KEY (org_id, name)
) STRICT;
