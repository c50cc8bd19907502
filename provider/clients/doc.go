// Package clients turns an OAuth client registration into a stored
// storage.Client: it validates the metadata against the rules of the OAuth
// Security BCP (RFC 9700) and generates the client secret. The CLI, the admin
// API and dynamic registration all register clients through it.
package clients
