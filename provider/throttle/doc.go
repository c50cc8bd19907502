// Package throttle limits failed sign-ins per account and per client IP, in
// fixed windows counted by storage.ThrottleStore so that every replica sees
// the same counts.
package throttle
