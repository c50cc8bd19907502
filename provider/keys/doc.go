// Package keys manages the provider's signing keys (RS256, and ES256 and
// EdDSA when configured, each algorithm in its own lane): it generates them,
// keeps their private halves sealed at rest, rotates them by compare-and-swap
// on the shared key set so any number of replicas agree, and serves the JWKS.
//
// A key's life: published in the JWKS at once, it starts signing at its
// ActiveFrom (PrePublish later, so verifiers that cache the JWKS have seen it
// first), stops signing when the next key takes over (RetiredAt), and stays
// published for Retention more, until every token it signed has expired
// (UnpublishAt). Which key signs at any moment follows from the stored set
// and the clock alone, so replicas agree without talking to each other.
//
// Manager.Signing is on the token hot path: after warm-up it answers from
// memory, re-reading the store only every RefreshInterval.
package keys
