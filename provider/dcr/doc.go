// Package dcr provides OAuth 2.0 Dynamic Client Registration (RFC 7591) and
// its management protocol (RFC 7592): POST to the registration endpoint
// registers a client from JSON metadata; GET, PUT and DELETE on the client's
// configuration endpoint, with the registration access token handed out at
// registration, read, replace and remove it.
//
// Every client registered here is third-party (the user sees a consent
// page) and may use only the authorization code grant with PKCE and refresh
// tokens. Registration is open to anyone, or protected by initial access
// tokens that an operator creates with the CLI. Every bearer token is kept
// only as its SHA-256 and compared in constant time.
package dcr
