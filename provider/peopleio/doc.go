// Package peopleio moves people in and out of Ostiary: it writes every
// person, with their password hash and memberships, as JSON Lines, and reads
// that format back, as well as Auth0 password-hash exports and bulk-import
// files and Amazon Cognito-style CSV.
//
// Password hashes travel as PHC strings and are never re-hashed on the way:
// an imported bcrypt hash verifies at the person's next sign-in, which then
// replaces it with argon2id. Import is keyed by email and idempotent: a
// person whose email exists already is left as they are (only memberships
// still missing are added), so running an import twice changes nothing the
// second time. A bad row is reported with its line and skipped; the rest
// goes in.
package peopleio
