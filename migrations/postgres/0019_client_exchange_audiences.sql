-- The audiences a client may exchange a subject token for (RFC 8693 §2.1
-- audience and resource): its token exchange policy. Empty is none.
ALTER TABLE clients ADD COLUMN exchange_audiences jsonb NOT NULL DEFAULT '[]'::jsonb;
