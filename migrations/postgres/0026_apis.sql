-- APIs (resource servers, RFC 8707): an access token's aud is the
-- identifier of the API it was requested for. scopes is
-- [{name, description}]; access_token_lifespan is nanoseconds, 0 for the
-- provider's default. A client is granted APIs (apis, a list of
-- identifiers) and may name one of them its default_api, the aud of its
-- tokens that ask for none.
CREATE TABLE apis (
    identifier            text PRIMARY KEY,
    name                  text NOT NULL DEFAULT '',
    scopes                jsonb NOT NULL DEFAULT '[]'::jsonb,
    access_token_lifespan bigint NOT NULL DEFAULT 0,
    created_at            timestamptz,
    updated_at            timestamptz
);
ALTER TABLE clients ADD COLUMN apis jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE clients ADD COLUMN default_api text NOT NULL DEFAULT '';
