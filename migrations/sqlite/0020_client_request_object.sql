-- Signed request objects (RFC 9101): the only JWS alg the client's request
-- objects may use (request_object_signing_alg, OpenID Connect Dynamic Client
-- Registration §2; empty is any supported alg), and whether its authorization
-- requests must carry one (require_signed_request_object, RFC 9101 §10.5).
ALTER TABLE clients ADD COLUMN request_object_signing_alg TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_signed_request_object INTEGER NOT NULL DEFAULT 0;
