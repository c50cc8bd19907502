// Package provider assembles the identity provider: New builds every handler
// in one place from a validated Config and a storage.Store, and mounts them
// on one http.Handler. Each part lives in its own package under provider/.
package provider
