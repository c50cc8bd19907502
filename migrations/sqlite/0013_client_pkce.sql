-- A confidential client may be allowed to send no code_challenge (the
-- default stays PKCE for every client); see storage.Client.PKCEOptional.
ALTER TABLE clients ADD COLUMN pkce_optional INTEGER NOT NULL DEFAULT 0;
