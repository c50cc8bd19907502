// Package httpobs is the one observation point of every HTTP request: it
// gives the request an id (a sane incoming X-Request-Id, or a new one),
// echoes it in the X-Request-Id response header, captures the status and
// the size of the answer, and when the handler is done reports the request
// by its route pattern (the Go 1.22 mux pattern, never the raw path) to the
// metrics and, as one structured line, to the access log.
//
// What it reports is chosen so that no credential can reach it: the method,
// the pattern, the status, the duration, the bytes written, the client id a
// handler vouched for (SetClientID), the request id and the client's
// address. Never the query string, a body, a header value other than the
// request id, or the raw path.
package httpobs
