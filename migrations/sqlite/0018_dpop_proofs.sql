-- DPoP proofs seen (RFC 9449 §11.1): the SHA-256 of each proof's jti, kept
-- until the proof could no longer be accepted, so a replay is refused.
CREATE TABLE dpop_proofs (
    jti_hash   BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);
