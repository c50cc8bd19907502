// Package oauth is the provider's OAuth 2.0 and OpenID Connect protocol
// surface, built on fosite v0.49.0: the authorization endpoint and its
// resumption after the sign-in, organization and consent pages, the token,
// introspection, revocation and userinfo endpoints, the verification of
// id_token_hint for logout, and the check of admin API tokens (admin.go).
// Server composes fosite explicitly (server.go) and serves the endpoints.
//
// Everything fosite-specific stays inside this package and its
// subpackages, each named for what it provides:
//
//   - fositestore: the storage adapter that maps fosite's storage
//     interfaces onto storage.TokenStore and storage.ClientStore, the
//     session type that carries the organization claims, and clients as
//     fosite sees them, with their cache;
//   - tokens: the jwt.Signer that signs with the provider's keys through
//     go-jose v4, fosite's token strategy, the claims of ID tokens, and
//     where a token is for (audience, RFC 8707 resource indicators);
//   - grants: the token endpoint handlers of our own (the RFC 8693
//     exchange of personal access, access and ID tokens, the per-client
//     PKCE policy) and
//     the rules of what a grant may carry (who may hold ostiary:admin, an
//     organization's second-factor requirement).
//
// The go-jose v3 types fosite speaks never leave these packages; only
// stdlib key types cross in.
//
// The rules fosite leaves unwritten (docs/architecture.md, "fosite, as we use it") are enforced here: code
// redemption and refresh rotation are conditional updates so that exactly
// one of many concurrent requests wins and the rest get invalid_grant;
// reuse of a rotated refresh token deactivates the whole family; claims are
// re-evaluated on every refresh; introspection requires real client
// authentication.
package oauth
