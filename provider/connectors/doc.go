// Package connectors signs users in at upstream identity providers: a
// generic OpenID Connect provider (discovery, authorization code with PKCE,
// state and nonce, the ID token verified against the upstream's JWKS) and
// GitHub (OAuth 2.0 and its user and emails API, verified primary address
// only). A Connector turns an upstream authorization code into an Identity;
// what Ostiary does with that identity (accounts, links, sessions) is the
// web package's job.
package connectors
