// Package storage is the vocabulary every backend speaks: small interfaces by
// concern, plain records and sentinel errors. It knows nothing of fosite or
// HTTP. Backends live in storage/sqlite and storage/postgres and must pass the
// conformance suite in storage/storagetest. Each interface has its own file,
// named alike in all four packages: OrgStore is storage/orgs.go,
// sqlite/orgs.go, postgres/orgs.go and storagetest/orgs.go.
//
// Conventions every backend follows:
//   - Times are stored in UTC with microsecond precision; zero times round-trip
//     as zero.
//   - Nil and empty slices are equivalent; reads return nil for none.
//   - Records carry their ids; the caller generates them.
//   - Every method honours a transaction carried in ctx by BeginTX or InTx.
package storage
