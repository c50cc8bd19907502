// Package janitor removes what has outlived its use: expired authorization
// codes, access and refresh tokens (with their PKCE and OpenID rows),
// sessions, pending authorization requests, one-time email tokens,
// second-factor challenges, sent and given-up mail, throttle counters and,
// only when a retention is configured, old audit events.
//
// Every table is swept in bounded batches (one short DELETE of at most
// BatchSize rows, repeated until a batch comes back short, with a pause
// between batches), never in one long transaction. Rotated refresh tokens
// are kept until their own expiry, because reuse detection depends on them.
//
// One process at a time: a pass runs only while it holds the "janitor"
// lease in the database (storage.LeaseStore), renewed as the pass goes and
// released at its end; another replica that finds the lease taken skips its
// pass. No connection or transaction is held meanwhile.
package janitor
