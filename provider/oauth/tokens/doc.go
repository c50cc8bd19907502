// Package tokens is how the provider's tokens are made and read: the
// jwt.Signer that signs ID tokens and access tokens with the provider's
// keys through go-jose v4 (the go-jose v3 types fosite speaks stay
// inside), fosite's token Strategy with access token records keyed by the
// whole token and refresh tokens derived under a grace period, the claims
// an ID token carries, the check of an id_token_hint, and where a token is
// for (audience and RFC 8707 resource indicators, target.go).
package tokens
