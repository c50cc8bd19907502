// Package web serves the server-rendered pages besides sign-in (web/signin)
// on the shared base web/page: the account
// page, where a signed-in person manages profile, email, password, sessions,
// authorized applications and personal access tokens; and, when
// Pages.People is set, self-service registration, email verification and
// password reset by mailed one-time links.
//
// The pages and the authorization endpoint talk only through the parked
// storage.AuthRequest: a page records the person's decision on it and sends
// the browser back to /oauth2/authorize/resume, which decides what comes next.
// A decision counts only while the browser session that made it presents the
// request, so every page checks that the current session is the request's.
//
// Routes, all under the issuer's path and wrapped in Headers:
//
//	GET /, GET /account, POST /account/...          Pages.Home, Pages.Account
//	GET, POST /account/email/confirm?token=T        Pages.Account (the mail's link)
//	GET, POST /register                             Pages.Register
//	GET, POST /verify-email[?token=T]               Pages.VerifyEmail
//	GET, POST /forgot-password                      Pages.ForgotPassword
//	GET, POST /reset-password[?token=T]             Pages.ResetPassword
//	GET /dev/mail                                   Pages.DevMail (development only)
//	GET, POST /invitations/accept?org=ID&token=T    Pages.AcceptInvitation
//	GET, POST /account/delete                       Pages.DeleteAccount
//	GET, POST /account/mfa                          Pages.AccountMFA
//
// With Pages.Federation set (web/federation), the account page lists and
// links upstream sign-ins and the organization page sets up single sign-on.
package web
