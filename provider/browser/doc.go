// Package browser keeps the signed-in browser session and protects forms
// against cross-site request forgery.
//
// The session cookie (ostiary_session) goes through gorilla/sessions: RowStore
// is a sessions.Store whose cookie holds only a random secret, signed and
// encrypted with securecookie, and whose sessions are storage.Session rows
// found by the secret's SHA-256, with a separate public id used as the OpenID
// `sid`; listing or revoking a session is reading or deleting its row.
// Sessions (Current, Start, End) is what the pages and the authorization
// endpoint call; it drives a RowStore. Signing in always makes a new id and
// secret, so a session id planted before sign-in is worth nothing after it.
//
// Form tokens are an HMAC of the session secret for a browser that has
// a session cookie, and otherwise an HMAC of a random value kept in a
// SameSite=Strict cookie (ostiary_csrf), checked double-submit style. POSTs
// are also refused when the browser's Sec-Fetch-Site or Origin header says
// they came from another site.
package browser
