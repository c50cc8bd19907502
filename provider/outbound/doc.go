// Package outbound makes the HTTP requests the provider sends to URLs that
// someone else chose: a dynamically registered client's jwks_uri, a client's
// back-channel logout URI, an upstream identity provider's discovery
// document and endpoints. Such a URL can name the provider's own network
// (loopback, link-local metadata services, private ranges), so the client
// of this package refuses those addresses unless the operator's allow-list
// names them, checking the address actually connected to (after DNS, so a
// name that resolves differently the second time gains nothing), bounds the
// time and size of every response, and follows redirects only on the same
// scheme and host.
package outbound
