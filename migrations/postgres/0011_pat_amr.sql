-- How the browser session that created a personal access token signed in,
-- so an organization's second-factor requirement holds for its exchanges as
-- for refresh grants. Tokens from before this column have none: they count
-- as made without a second factor.
ALTER TABLE personal_access_tokens ADD COLUMN amr jsonb NOT NULL DEFAULT '[]';
