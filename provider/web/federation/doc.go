// Package federation serves sign-in through upstream identity providers
// (provider/connectors): the "Sign in with …" round trip, linking an
// upstream sign-in to an existing account (never by email alone: the owner
// proves the account by password or by a mailed link), just-in-time
// accounts, upstream logout, and, with Pages.Orgs, enterprise single
// sign-on (home-realm discovery, password refusal, joining the
// organization; provider/orgsso).
//
// It builds on web/signin: Flows carries the application's sign-in
// through the upstream, and Pages implements signin.Upstream, which the
// login and logout pages ask.
//
// Routes, under the issuer's path (Pages.Routes):
//
//	POST /login/upstream/{connector}[?request=ID]   start ("Sign in with …", or linking)
//	GET /login/upstream/callback                    the upstream's answer
//	GET, POST /login/upstream/link                  prove an existing account
//	GET, POST /login/upstream/link/mail?token=T     the mailed proof
//	POST /login/upstream/cancel                     back to the app: access_denied
//	GET /logout/upstream/done                       back from the upstream's logout
package federation
