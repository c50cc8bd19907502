-- Attributes (#17): an administrator-set JSON object on each user,
-- organization and membership, read by claim rules. jsonb, NULL for none;
-- the size, depth and schema rules live in provider/attributes.
ALTER TABLE users ADD COLUMN attributes jsonb;
ALTER TABLE organizations ADD COLUMN attributes jsonb;
ALTER TABLE memberships ADD COLUMN attributes jsonb;
