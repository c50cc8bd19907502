// Package textcheck refuses requests whose text is not text: invalid UTF-8
// or NUL in the path, the query, a form or JSON body, or the headers the
// provider reads (Authorization, X-Forwarded-For, Origin).
// PostgreSQL stores only valid UTF-8 without NUL and answers anything else
// with an error, which would surface as a 500 on any route where input
// reaches a query; checking once, before any handler, makes every such
// request a 400 in its surface's own shape. User-Agent, which only ends up
// in a session's description, is repaired instead of refused: a browser
// cannot choose its own.
package textcheck
