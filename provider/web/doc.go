// Package web serves the server-rendered pages of the sign-in flow: login,
// organization picker, consent, RP-initiated logout, and the error pages the
// authorization endpoint shows when it must not redirect. The signed-in
// user's pages (home, account, second factor setup, account deletion) are
// web/account's; registration, email verification, password reset and
// invitations are web/selfservice's.
//
// The pages and the authorization endpoint talk only through the parked
// storage.AuthRequest: a page records the person's decision on it and sends
// the browser back to /oauth2/authorize/resume, which decides what comes next.
// A decision counts only while the browser session that made it presents the
// request, so every page checks that the current session is the request's.
//
// Routes, all under the issuer's path and wrapped in Headers:
//
//	GET, POST /login[?request=ID|?return_to=/path]  Pages.Login
//	GET, POST /organization?request=ID              Pages.Organization
//	GET, POST /consent?request=ID                   Pages.Consent
//	GET, POST /oauth2/logout, GET /logout           Pages.Logout
//	GET, POST /organizations, /organizations/{id}   Pages.Organizations, Pages.OrganizationSettings
//	GET, POST /login/mfa                            Pages.SecondFactor
//	POST /login/upstream/{connector}[?request=ID]   Pages.UpstreamStart ("Sign in with …", linking)
//	GET /login/upstream/callback                    Pages.UpstreamCallback
//	GET, POST /login/upstream/link                  Pages.UpstreamLink (prove an existing account)
//	GET, POST /login/upstream/link/mail?token=T     Pages.UpstreamLinkMail (the mailed proof)
//	POST /login/upstream/cancel                     Pages.UpstreamCancel (back to the app: access_denied)
//	GET /logout/upstream/done                       Pages.UpstreamLogoutDone
//	GET /static/                                    Pages.Static()
//	GET, POST /admin, /admin/...                    Admin.Mount: instance administrators' pages
//	                                                (dashboard, clients, users, organizations,
//	                                                keys, audit), each admin_*.go
//
// With Pages.Federation set, people also sign in through upstream identity
// providers (provider/connectors): identities link upstream accounts to
// people, never by email alone, and organizations may send their domains
// to their own provider (provider/orgsso).
package web
