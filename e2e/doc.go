// Package e2e drives a real ostiary binary the way its users do: the CLI for
// setup, headless Chromium through the real pages, golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3 as the relying party, on SQLite and PostgreSQL.
package e2e
