// Package userio moves users in and out of Ostiary: it writes every
// user, with their password hash and memberships, as JSON Lines, and reads
// that format back, as well as Auth0 password-hash exports and bulk-import
// files and Amazon Cognito-style CSV.
//
// Password hashes travel as PHC strings and are never re-hashed on the way:
// an imported bcrypt hash verifies at the user's next sign-in, which then
// replaces it with argon2id. Import is keyed by email and idempotent: a
// user whose email exists already is left as they are (only memberships
// still missing are added), so running an import twice changes nothing the
// second time. A bad row is reported with its line and skipped; the rest
// goes in.
package userio
