-- Attributes (#17): an administrator-set JSON object on each user,
-- organization and membership, read by claim rules. JSON text, NULL for
-- none; the size, depth and schema rules live in provider/attributes.
ALTER TABLE users ADD COLUMN attributes TEXT;
ALTER TABLE organizations ADD COLUMN attributes TEXT;
ALTER TABLE memberships ADD COLUMN attributes TEXT;
