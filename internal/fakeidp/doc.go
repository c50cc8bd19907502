// Package fakeidp is a small OpenID Connect provider on 127.0.0.1 for tests
// of the upstream sign-in. It approves every authorization request at once
// as its configured person, and misbehaves on demand: a token signed by a
// key it does not publish, for another audience, already expired, with
// another nonce, or an answer of access_denied.
package fakeidp
