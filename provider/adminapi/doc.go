// Package adminapi is the admin REST API under /admin/api/v1: clients,
// users, organizations and memberships, signing keys, sessions, consents
// and the audit log, as JSON, for callers holding an access token of this
// provider with the ostiary:admin scope (provider/oauth decides who may
// hold it and verifies the token).
//
// Service holds the operations themselves; the CLI (cmd/ostiary) calls the
// same Service, so both apply one set of rules. The route table (routes.go)
// is data: the mux is built from it, the OpenAPI document (openapi.yaml,
// served at /admin/api/v1/openapi.yaml) is checked against it, and so is
// the CLI's parity table. Handler authenticates the caller and mounts the
// table; each route is a method of the handler of its resource (clientsAPI,
// usersAPI, orgsAPI, ssoAPI, opsAPI, one per *_api.go file).
package adminapi
