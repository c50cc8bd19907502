package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

// accountPaths are the forms of the account page, under the issuer's path.
type accountPaths struct {
	Page, Profile, Email, Password, EndSession, EndAll, RevokeApp, CreateToken, RevokeToken, Logout, Home string
	Orgs, MFA, Delete                                                                                     string
	Unlink                                                                                                string
}

type accountPage struct {
	Title  string
	CSRF   string
	Paths  accountPaths
	Notice string

	Name, Email   string
	EmailVerified bool
	// EmailChange is false when no mailer is configured.
	EmailChange bool
	NewEmail    string

	ProfileError, EmailError, PasswordError, TokenError string

	Sessions []sessionView
	Apps     []appView
	Tokens   []tokenView
	// Orgs is the organization switcher: the same memberships the login's
	// picker lists, the session's active one marked.
	Orgs []orgRow
	// Identities are the linked upstream sign-ins; nil without federation.
	Identities *identitiesView

	// The new-token form, and the token just created (shown once).
	TokenName    string
	Scopes       []scopeOption
	Expiries     []expiryOption
	NewToken     string
	NewTokenName string
}

type sessionView struct {
	ID, Device, IP string
	LastSeen       timeView
	SignedIn       timeView
	Current        bool
}

type appView struct {
	ClientID, Name string
	Scopes         []string
	Since          timeView
}

type timeView struct {
	ISO, Text string
}

func when(t time.Time) timeView {
	if t.IsZero() {
		return timeView{}
	}
	t = t.UTC()
	return timeView{ISO: t.Format(time.RFC3339), Text: t.Format("2 Jan 2006, 15:04 UTC")}
}

// notices are the messages a form's redirect back to the page may show
// (?done=...): fixed texts, so the query cannot inject any.
var notices = map[string]string{
	"profile":    "Your name was saved.",
	"email_sent": "We sent a confirmation link to the new address. Your email address changes when you open it.",
	"password":   "Your password was changed. Every other browser was signed out and applications must sign you in again.",
	"session":    "That session was signed out.",
	"app":        "The application's access was revoked.",
	"token":      "The token was revoked. Scripts using it can no longer get access.",
	"org":        "Active organization changed. Applications see it at your next sign-in or token refresh.",
	"unlinked":   "The sign-in provider was unlinked. It can no longer sign you in here.",
}

// Account serves the account page at /account and its forms under
// /account/: profile, email, password, sessions, authorized applications
// and personal access tokens. Signed-out visitors go to the login page and
// come back. Every form is a POST with a CSRF token; each answers with a
// redirect back to the page (or, for a new token, the page itself, which
// shows the token once).
func (p *Pages) Account(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.account)(w, r)
}

func (p *Pages) accountPaths() accountPaths {
	a := p.site.Path("/account")
	return accountPaths{
		Page: a, Profile: a + "/profile", Email: a + "/email", Password: a + "/password",
		EndSession: a + "/sessions/end", EndAll: a + "/sessions/end-all", RevokeApp: a + "/apps/revoke",
		CreateToken: a + "/tokens", RevokeToken: a + "/tokens/revoke", Logout: p.site.Path("/logout"), Home: p.site.Path("/"),
		Orgs: p.site.Path("/organizations"), MFA: p.site.Path(PathAccountMFA), Delete: a + "/delete",
		Unlink: a + "/identities/unlink",
	}
}

func (p *Pages) account(w http.ResponseWriter, r *http.Request) error {
	sub := strings.TrimPrefix(r.URL.Path, p.site.Path("/account"))
	if sub == "/email/confirm" {
		// The link from the mail: the token proves the address, whoever
		// is signed in on this browser.
		return p.confirmEmail(w, r)
	}
	isPost := r.Method == http.MethodPost
	if !isPost && r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
	sess, user, ok, err := p.site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		login := p.site.Path("/login") + "?" + url.Values{"return_to": {p.site.Path("/account")}}.Encode()
		if isPost {
			return page.RedirectSeeOther(w, r, login)
		}
		return page.Redirect(w, r, login)
	}
	if !isPost {
		if sub != "" && sub != "/" {
			return page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
		}
		return p.renderAccount(w, r, sess, user, http.StatusOK, accountPage{Notice: notices[r.URL.Query().Get("done")]})
	}
	if err := p.Sessions.CheckCSRF(r); err != nil {
		return err
	}
	a := accountAction{p: p, w: w, r: r, sess: sess, user: user}
	switch sub {
	case "/profile":
		return a.saveProfile()
	case "/email":
		return a.requestEmailChange()
	case "/password":
		return a.changePassword()
	case "/sessions/end":
		return a.endSession()
	case "/sessions/end-all":
		return a.endAllSessions()
	case "/apps/revoke":
		return a.revokeApp()
	case "/tokens":
		return a.createToken()
	case "/tokens/revoke":
		return a.revokeToken()
	case "/identities/unlink":
		return a.unlinkIdentity()
	}
	return page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
}

// accountAction is one account form post by the signed-in person.
type accountAction struct {
	p    *Pages
	w    http.ResponseWriter
	r    *http.Request
	sess storage.Session
	user storage.User
}

// done sends the browser back to the page with a notice (POST/redirect/GET,
// so reloading does not post again).
func (a accountAction) done(notice string) error {
	return page.RedirectSeeOther(a.w, a.r, a.p.site.Path("/account")+"?done="+notice)
}

// again shows the page with what went wrong in one form.
func (a accountAction) again(v accountPage) error {
	return a.p.renderAccount(a.w, a.r, a.sess, a.user, http.StatusUnprocessableEntity, v)
}

// renderAccount fills the page's lists and renders it.
func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User, status int, v accountPage) error {
	ctx := r.Context()
	v.Title = "Your account"
	v.Paths = p.accountPaths()
	v.Name, v.Email, v.EmailVerified = user.Name, user.Email, user.EmailVerified
	v.EmailChange = p.Mailer != nil

	sessions, err := p.Store.ListSessionsByUser(ctx, user.ID, p.Now())
	if err != nil {
		return fmt.Errorf("web: list sessions: %w", err)
	}
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, sessionView{ID: s.ID, Device: describeDevice(s.UserAgent), IP: s.IP,
			LastSeen: when(s.LastSeen), SignedIn: when(s.AuthTime), Current: s.ID == sess.ID})
	}
	if v.Apps, err = p.authorizedApps(r, user.ID); err != nil {
		return err
	}
	if err := p.fillTokens(r, user.ID, &v); err != nil {
		return err
	}
	ms, err := p.Store.ListMembershipsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("web: list memberships: %w", err)
	}
	for _, m := range ms {
		v.Orgs = append(v.Orgs, orgRow{ID: m.OrgID, Name: signin.OrgName(m), Role: m.Role, URL: p.orgURL(m.OrgID), Active: m.OrgID == sess.OrgID})
	}
	if err := p.fillIdentities(r, user, &v); err != nil {
		return err
	}
	v.CSRF = p.Sessions.CSRFToken(w, r)
	page.AllowFormAction(w, p.upstreamOrigins()...)
	return p.site.Render(w, status, "account", v)
}

// authorizedApps lists the remembered consents with their clients' names.
func (p *Pages) authorizedApps(r *http.Request, userID string) ([]appView, error) {
	ctx := r.Context()
	consents, err := p.Store.ListConsentsByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("web: list consents: %w", err)
	}
	var out []appView
	for _, c := range consents {
		name := c.ClientID
		cl, err := p.Store.GetClient(ctx, c.ClientID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			name += " (no longer registered)"
		case err != nil:
			return nil, fmt.Errorf("web: read client: %w", err)
		case cl.Name != "":
			name = cl.Name
		}
		out = append(out, appView{ClientID: c.ClientID, Name: name, Scopes: c.Scopes, Since: when(c.CreatedAt)})
	}
	return out, nil
}

// checkCurrentPassword verifies the person's password before a sensitive
// change, throttled like sign-in so a left-open browser cannot be used to
// guess it. msg is what to show when it is refused.
func (a accountAction) checkCurrentPassword(pw string) (msg string, err error) {
	ctx := a.r.Context()
	ip := a.p.Sessions.RemoteIP(a.r)
	retry, limited, err := a.p.Throttle.Check(ctx, a.user.Email, ip)
	if err != nil {
		return "", err
	}
	if limited {
		return "Too many wrong passwords. Try again " + signin.RetryIn(retry) + ".", nil
	}
	ok := false
	if a.user.PasswordHash != "" && pw != "" && len(pw) <= signin.MaxPasswordLen {
		ok, _, err = password.Verify(a.user.PasswordHash, pw)
		if err != nil {
			a.p.Logger.ErrorContext(ctx, "stored password hash unusable", "user_id", a.user.ID, "err", err)
			ok = false
		}
	} else {
		password.VerifyDummy(pw[:min(len(pw), signin.MaxPasswordLen)])
	}
	if !ok {
		if err := a.p.Throttle.Failure(ctx, a.user.Email, ip); err != nil {
			return "", err
		}
		a.p.site.Audit(ctx, storage.AuditEvent{Type: "password.check_failed", ActorID: a.user.ID, SubjectID: a.user.ID, IP: ip})
		return "Your current password is not correct.", nil
	}
	// Check counted this attempt against the account; a right password
	// forgets the count, as a sign-in does.
	if err := a.p.Throttle.Success(ctx, a.user.Email); err != nil {
		a.p.Logger.WarnContext(ctx, "reset password throttle", "err", err)
	}
	return "", nil
}

// ruleMessage is what a refusal by the rules (a provider/fault error) says
// to the person.
func ruleMessage(err error) string {
	return fault.Message(err, "The change was refused. Check the form and try again.")
}

type signedOutPage struct {
	Title, LoginURL string
}

// signedOut is the page after the person signed themselves out here.
func (p *Pages) signedOut(w http.ResponseWriter) error {
	return p.site.Render(w, http.StatusOK, "signed_out", signedOutPage{Title: "Signed out", LoginURL: p.site.Path("/login")})
}
