-- The JWS alg the client's ID tokens are signed with (OpenID Connect Dynamic
-- Client Registration §2, id_token_signed_response_alg); empty is RS256.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT '';
