// Package pat defines personal access tokens: their wire format (a
// recognizable prefix and 256 random bits), the SHA-256 under which they are
// stored, the URN that names them in an RFC 8693 token exchange, and the
// scopes a user may put on one.
package pat
