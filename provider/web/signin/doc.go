// Package signin serves the server-rendered pages of the sign-in flow:
// login, the second factor after the password, the organization picker,
// consent, and RP-initiated logout (OpenID RP-Initiated Logout 1.0).
//
// The pages and the authorization endpoint talk only through the parked
// storage.AuthRequest (Flows): a page records the user's decision on it
// and sends the browser back to /oauth2/authorize/resume, which decides what
// comes next. Other page areas use Flows too (registration and password
// reset lead back to the application's sign-in).
//
// Sign-in through upstream identity providers is web/federation's: it
// implements Upstream, which this package asks for the "Sign in with …"
// buttons, home-realm discovery and upstream logout.
//
// Routes, under the issuer's path (Pages.Routes):
//
//	GET, POST /login[?request=ID|?return_to=/path]  the password form, "Continue as"
//	GET, POST /login/mfa                            the second factor (when on)
//	GET, POST /organization?request=ID              the organization picker
//	GET, POST /consent?request=ID                   consent
//	GET, POST /oauth2/logout, /logout               sign-out
package signin
