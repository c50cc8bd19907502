// Package password hashes users' passwords with argon2id and verifies them,
// in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
// bcrypt hashes brought in by an import are accepted and reported as needing a
// rehash, as are argon2id hashes made with weaker parameters than today's, so
// the caller can upgrade them at the next successful sign-in.
package password
