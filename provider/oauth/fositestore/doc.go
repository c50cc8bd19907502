// Package fositestore is the storage fosite reads and writes, over
// storage.TokenStore and storage.ClientStore: the Adapter that implements
// fosite's storage interfaces with the rules fosite leaves unwritten (see
// "fosite, as we use it" in docs/architecture.md: conditional code
// redemption and refresh rotation, reuse detection on rows kept inactive,
// the refresh grace period and family lifetime), the Session stored with every token record, and clients as
// fosite sees them (Client), read through a short-lived ClientCache.
//
// Records are keyed by SigKey, the SHA-256 of what fosite names them by,
// never by a secret itself. An error of the store that is none of its
// documented outcomes is marked (StorageFailed), so that the endpoints of
// provider/oauth answer it with a 5xx whatever fosite wraps it in.
package fositestore
