// Package clientip tells the address of the client behind a request. Behind
// a reverse proxy or load balancer the connection's peer is the proxy; the
// proxy names the client in X-Forwarded-For. That header is believed only
// when the peer is one of the configured trusted proxies, since anybody else
// can send it too and choose the address throttling and the audit log see.
package clientip
