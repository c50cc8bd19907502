-- A confidential client may be allowed to send no code_challenge (the
-- default stays PKCE for every client); see storage.Client.PKCEOptional.
ALTER TABLE clients ADD COLUMN pkce_optional boolean NOT NULL DEFAULT false;
