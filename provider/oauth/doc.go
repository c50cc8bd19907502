// Package oauth is the provider's OAuth 2.0 and OpenID Connect protocol
// surface, built on fosite v0.49.0: the authorization endpoint and its
// resumption after the sign-in, organization and consent pages, the token,
// introspection, revocation and userinfo endpoints, the RFC 8693 exchange of
// personal access tokens for access tokens (a fosite token endpoint handler
// of our own, exchange.go), the verification of id_token_hint for
// logout, and the one rule of who may hold the admin API's scope
// ostiary:admin, with the check of admin API tokens (admin.go).
//
// Everything fosite-specific stays inside this package: the explicit
// composition of fosite's handlers, the storage adapter that maps fosite's
// storage interfaces onto storage.TokenStore and storage.ClientStore, the
// session type that carries the organization claims, and a jwt.Signer that
// signs with the provider's keys through go-jose v4. The go-jose v3 types
// fosite speaks never leave the package; only stdlib key types cross in.
//
// The rules fosite leaves unwritten (see FOSITE.md) are enforced here: code
// redemption and refresh rotation are conditional updates so that exactly
// one of many concurrent requests wins and the rest get invalid_grant;
// reuse of a rotated refresh token deactivates the whole family; claims are
// re-evaluated on every refresh; introspection requires real client
// authentication.
package oauth
