// Package storagetest is the conformance suite every storage backend runs,
// so that SQLite and PostgreSQL behave alike down to sentinel errors, expiry
// boundaries, ordering and transactions.
//
// A backend's test file calls Run and RunConcurrency with a function that
// returns a fresh, migrated, empty store. The function should close the store
// in t.Cleanup; Close must tolerate being called again because one subtest
// closes the store itself.
//
// The suite creates the users, organizations and clients that records point
// to where the contract implies a relation (memberships, sessions, consents,
// personal access tokens, one-time tokens with a UserID). Token records,
// mails, audit events and throttle keys point to nothing, so a backend must
// not put foreign keys on them.
//
// Times are compared after truncation to microseconds in UTC; the suite feeds
// nanoseconds and non-UTC zones on purpose. Nil and empty slices compare
// equal, but reads of a record with none must return nil.
package storagetest
