-- APIs (resource servers, RFC 8707): an access token's aud is the
-- identifier of the API it was requested for. scopes is JSON
-- [{name, description}]; access_token_lifespan is nanoseconds, 0 for the
-- provider's default. A client is granted APIs (apis, a JSON list of
-- identifiers) and may name one of them its default_api, the aud of its
-- tokens that ask for none.
CREATE TABLE apis (
    identifier            TEXT PRIMARY KEY,
    name                  TEXT NOT NULL DEFAULT '',
    scopes                TEXT NOT NULL DEFAULT '[]',
    access_token_lifespan INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER,
    updated_at            INTEGER
) STRICT;
ALTER TABLE clients ADD COLUMN apis TEXT;
ALTER TABLE clients ADD COLUMN default_api TEXT NOT NULL DEFAULT '';
