-- DPoP proofs seen (RFC 9449 §11.1): the SHA-256 of each proof's jti, kept
-- until the proof could no longer be accepted, so a replay is refused.
CREATE TABLE dpop_proofs (
    jti_hash   bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dpop_proofs_expires_idx ON dpop_proofs (expires_at);

-- A client whose every access token must be DPoP-bound (RFC 9449 §5.2,
-- dpop_bound_access_tokens).
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false;
