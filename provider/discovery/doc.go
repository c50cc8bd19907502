// Package discovery serves the provider's public metadata: the OpenID
// Connect Discovery 1.0 document at /.well-known/openid-configuration, the
// same document as OAuth 2.0 Authorization Server Metadata (RFC 8414) at
// /.well-known/oauth-authorization-server, and the JSON Web Key Set at
// /.well-known/jwks.json.
//
// All three are public, cacheable and read by browsers from other origins,
// so they are served pre-serialized with Cache-Control, a strong ETag
// (If-None-Match gets 304) and Access-Control-Allow-Origin: *.
package discovery
