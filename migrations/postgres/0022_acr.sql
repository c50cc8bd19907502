-- Authentication context: an organization may require a phishing-resistant
-- factor (a passkey) of its members, as require_mfa requires a second one;
-- and a parked authorization request records the authentication context
-- class (acr) it waits for, so the step-up page knows which factors count.
ALTER TABLE organizations ADD COLUMN require_passkey boolean NOT NULL DEFAULT false;
ALTER TABLE auth_requests ADD COLUMN acr text NOT NULL DEFAULT '';
