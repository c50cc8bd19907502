package account_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

func TestAccountRequiresSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	b := h.Browser()
	webtest.WantRedirect(t, b.Get("/account"), "/login?return_to=%2Faccount")
	webtest.WantSeeOther(t, b.Post("/account/sessions/end-all", url.Values{}), "/login?return_to=%2Faccount")
	// Signing in from there comes back to the account page.
	b.Get("/login?return_to=%2Faccount")
	w := b.Post("/login", url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {annPassword}, "return_to": {"/account"}})
	webtest.WantRedirect(t, w, "/account")
	w = b.Get("/account")
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "ann@example.com") || !strings.Contains(body, "this browser") {
		t.Fatalf("account page:\n%s", body)
	}
	// The home page links to it.
	if body := b.Get("/").Body.String(); !strings.Contains(body, `href="/account"`) {
		t.Fatalf("home page does not link the account page:\n%s", body)
	}
}

// TestAccountFormsCSRF posts every account form without a valid token, and
// cross-site with a valid one: each is refused with 403 and changes nothing.
func TestAccountFormsCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.Client(storage.Client{ID: "app", Name: "App", RedirectURIs: []string{"https://app.example/cb"}})
	h.must(h.Store.PutConsent(h.Ctx(), storage.Consent{UserID: "ann", ClientID: "app", Scopes: []string{"openid"}, CreatedAt: h.Clock.Now()}))
	other, otherSess := h.SignInAt("ann@example.com", annPassword, "/account")
	_, hash := pat.New()
	h.must(h.Store.CreatePAT(h.Ctx(), storage.PAT{ID: "pat1", UserID: "ann", Name: "old", TokenHash: hash, Scopes: []string{"openid"}, CreatedAt: h.Clock.Now()}))

	forms := map[string]url.Values{
		"/account/profile":          {"name": {"Mallory"}},
		"/account/email":            {"new_email": {"mallory@example.com"}, "current_password": {annPassword}},
		"/account/password":         {"current_password": {annPassword}, "new_password": {"mallory-password-1"}, "confirm_password": {"mallory-password-1"}},
		"/account/sessions/end":     {"session_id": {otherSess.ID}},
		"/account/sessions/end-all": {},
		"/account/apps/revoke":      {"client_id": {"app"}},
		"/account/tokens":           {"name": {"evil"}, "scope": {"openid"}, "expires": {"never"}},
		"/account/tokens/revoke":    {"token_id": {"pat1"}},
	}
	for path, form := range forms {
		for name, tc := range map[string]struct{ token, site string }{
			"missing token":   {"-", "same-origin"},
			"wrong token":     {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "same-origin"},
			"cross-site post": {"", "cross-site"},
		} {
			a, _ := h.SignInAt("ann@example.com", annPassword, "/account")
			a.Site = tc.site
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			switch tc.token {
			case "-":
				a.CSRF = ""
			case "":
			default:
				f.Set("csrf_token", tc.token)
			}
			if w := a.Post(path, f); w.Code != http.StatusForbidden {
				t.Errorf("%s, %s: status %d, want 403", path, name, w.Code)
			}
			if _, ok := a.Session(); !ok {
				t.Errorf("%s, %s: the session ended", path, name)
			}
		}
	}
	// Nothing changed.
	u, _ := h.Store.GetUser(h.Ctx(), "ann")
	if u.Name != "Ann Example" || u.Email != "ann@example.com" {
		t.Errorf("user changed: %+v", u)
	}
	if len(h.Mailer.Sent()) != 0 {
		t.Errorf("mail sent: %v", h.Mailer.Sent())
	}
	if _, ok := other.Session(); !ok {
		t.Error("the other session ended")
	}
	if _, err := h.Store.GetConsent(h.Ctx(), "ann", "app"); err != nil {
		t.Errorf("consent: %v", err)
	}
	if ps, _ := h.Store.ListPATsByUser(h.Ctx(), "ann"); len(ps) != 1 || ps[0].ID != "pat1" {
		t.Errorf("tokens changed: %+v", ps)
	}
	a := h.Browser()
	a.SignIn("ann@example.com", annPassword) // the password is unchanged
}

func TestAccountPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.User("bob", "bob@example.com", "bob-password-long")
	other, otherSess := h.SignInAt("ann@example.com", annPassword, "/account")
	a, sess := h.SignInAt("ann@example.com", annPassword, "/account")
	refresh := h.grantToken(storage.KindRefreshToken, "ann", "app", otherSess.ID, "r1")
	access := h.grantToken(storage.KindAccessToken, "ann", "app", sess.ID, "r2")
	bobs := h.grantToken(storage.KindRefreshToken, "bob", "app", "", "r3")

	for _, tc := range []struct {
		name, cur, next, confirm, want string
	}{
		{"wrong current password", "nope", "brand-new-password", "brand-new-password", "current password is not correct"},
		{"mismatch", annPassword, "brand-new-password", "brand-new-passwort", "do not match"},
		{"too short", annPassword, "short", "short", "at least 12 characters"},
		{"the email", annPassword, "ann@example.com", "ann@example.com", "must not be your email"},
	} {
		w := a.Post("/account/password", url.Values{"current_password": {tc.cur}, "new_password": {tc.next}, "confirm_password": {tc.confirm}})
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: page does not say %q", tc.name, tc.want)
		}
	}
	if _, ok := other.Session(); !ok || !h.tokenActive(storage.KindRefreshToken, refresh) {
		t.Fatal("a refused change ended sessions or tokens")
	}
	if got := len(h.Audits("password.check_failed")); got != 1 {
		t.Errorf("password.check_failed events: %d", got)
	}

	w := a.Post("/account/password", url.Values{"current_password": {annPassword}, "new_password": {"brand-new-password"}, "confirm_password": {"brand-new-password"}})
	webtest.WantSeeOther(t, w, "/account?done=password")
	if _, ok := a.Session(); !ok {
		t.Fatal("the changing session ended")
	}
	if _, ok := other.Session(); ok {
		t.Fatal("the other session survived")
	}
	if h.tokenActive(storage.KindRefreshToken, refresh) || h.tokenActive(storage.KindAccessToken, access) {
		t.Fatal("tokens issued before the change are still active")
	}
	if !h.tokenActive(storage.KindRefreshToken, bobs) {
		t.Fatal("another person's token was deactivated")
	}
	if !slices.Contains(h.Notified.Ended(), "ann/"+otherSess.ID) || slices.Contains(h.Notified.Ended(), "ann/"+sess.ID) {
		t.Errorf("back-channel notices: %v", h.Notified.Ended())
	}
	if evs := h.Audits("password.changed"); len(evs) != 1 || evs[0].Details["sessions_ended"] != "1" || evs[0].Details["tokens_deactivated"] != "2" {
		t.Errorf("audit: %+v", evs)
	}
	if body := a.Get("/account?done=password").Body.String(); !strings.Contains(body, "Your password was changed") {
		t.Error("no notice after the change")
	}
	h.Browser().SignIn("ann@example.com", "brand-new-password")
}

func TestAccountSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.User("bob", "bob@example.com", "bob-password-long")
	other, otherSess := h.SignInAt("ann@example.com", annPassword, "/account")
	bob, bobSess := h.SignInAt("bob@example.com", "bob-password-long", "/account")
	a, sess := h.SignInAt("ann@example.com", annPassword, "/account")
	otherTok := h.grantToken(storage.KindRefreshToken, "ann", "app", otherSess.ID, "r1")
	ownTok := h.grantToken(storage.KindRefreshToken, "ann", "app", sess.ID, "r2")

	body := a.Get("/account").Body.String()
	if strings.Count(body, `name="session_id"`) != 2 || strings.Contains(body, bobSess.ID) {
		t.Fatalf("sessions list:\n%s", body)
	}
	// Someone else's session id changes nothing.
	webtest.WantSeeOther(t, a.Post("/account/sessions/end", url.Values{"session_id": {bobSess.ID}}), "/account?done=session")
	if _, ok := bob.Session(); !ok {
		t.Fatal("ended another person's session")
	}
	webtest.WantSeeOther(t, a.Post("/account/sessions/end", url.Values{"session_id": {otherSess.ID}}), "/account?done=session")
	if _, ok := other.Session(); ok {
		t.Fatal("the other session survived")
	}
	if h.tokenActive(storage.KindRefreshToken, otherTok) || !h.tokenActive(storage.KindRefreshToken, ownTok) {
		t.Fatal("ending one session must end its tokens only")
	}
	if evs := h.Audits("session.ended"); len(evs) != 1 || evs[0].Details["session_id"] != otherSess.ID {
		t.Errorf("audit: %+v", evs)
	}

	// Sign out everywhere: this session too, and every token.
	other2, _ := h.SignInAt("ann@example.com", annPassword, "/account")
	a.Get("/account")
	w := a.Post("/account/sessions/end-all", url.Values{})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "You are signed out") {
		t.Fatalf("after sign out everywhere:\n%s", w.Body)
	}
	if _, ok := a.Session(); ok {
		t.Fatal("this session survived")
	}
	if _, ok := other2.Session(); ok {
		t.Fatal("another session survived")
	}
	if _, ok := bob.Session(); !ok {
		t.Fatal("another person was signed out")
	}
	if h.tokenActive(storage.KindRefreshToken, ownTok) {
		t.Fatal("refresh token survived sign out everywhere")
	}
	if evs := h.Audits("sessions.ended_all"); len(evs) != 1 || evs[0].Details["sessions_ended"] != "2" {
		t.Errorf("audit: %+v", evs)
	}
	webtest.WantRedirect(t, a.Get("/account"), "/login?return_to=%2Faccount")
}

func TestAccountRevokeApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.Client(storage.Client{ID: "app", Name: "Photo Printer", RedirectURIs: []string{"https://app.example/cb"}})
	h.must(h.Store.PutConsent(h.Ctx(), storage.Consent{UserID: "ann", ClientID: "app", Scopes: []string{"openid", "email"}, CreatedAt: h.Clock.Now()}))
	a, sess := h.SignInAt("ann@example.com", annPassword, "/account")
	appTok := h.grantToken(storage.KindRefreshToken, "ann", "app", sess.ID, "r1")
	otherTok := h.grantToken(storage.KindRefreshToken, "ann", "other", sess.ID, "r2")
	if body := a.Get("/account").Body.String(); !strings.Contains(body, "Photo Printer") || !strings.Contains(body, "<code>email</code>") {
		t.Fatalf("applications list:\n%s", body)
	}
	webtest.WantSeeOther(t, a.Post("/account/apps/revoke", url.Values{"client_id": {"app"}}), "/account?done=app")
	if _, err := h.Store.GetConsent(h.Ctx(), "ann", "app"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("consent: %v", err)
	}
	if h.tokenActive(storage.KindRefreshToken, appTok) || !h.tokenActive(storage.KindRefreshToken, otherTok) {
		t.Fatal("revoking must end that application's tokens only")
	}
	if evs := h.Audits("consent.revoked"); len(evs) != 1 || evs[0].ClientID != "app" {
		t.Errorf("audit: %+v", evs)
	}
	if body := a.Get("/account").Body.String(); strings.Contains(body, "Photo Printer") {
		t.Fatal("revoked application still listed")
	}
}

var newTokenRE = regexp.MustCompile(`<code id="new-token" class="secret">([^<]+)</code>`)

func TestAccountPersonalAccessTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.Client(storage.Client{ID: "cli", Name: "CLI", Public: true, GrantTypes: []string{clients.GrantTokenExchange},
		Scopes: []string{"openid", "api:read", "offline_access"}})
	a, _ := h.SignInAt("ann@example.com", annPassword, "/account")
	body := a.Get("/account").Body.String()
	for _, want := range []string{`value="openid"`, `value="profile"`, `value="email"`, `value="api:read"`} {
		if !strings.Contains(body, want) {
			t.Errorf("scope choice %s missing", want)
		}
	}
	if strings.Contains(body, `value="offline_access"`) {
		t.Error("offline_access offered")
	}

	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", url.Values{"name": {" "}, "scope": {"openid"}, "expires": {"30"}}, "Give the token a name"},
		{"no scope", url.Values{"name": {"ci"}, "expires": {"30"}}, "Choose at least one scope"},
		{"scope not offered", url.Values{"name": {"ci"}, "scope": {"admin"}, "expires": {"30"}}, "cannot be put on"},
		{"bad expiry", url.Values{"name": {"ci"}, "scope": {"openid"}, "expires": {"5"}}, "Choose when the token expires"},
	} {
		w := a.Post("/account/tokens", tc.form)
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: page does not say %q", tc.name, tc.want)
		}
	}

	w := a.Post("/account/tokens", url.Values{"name": {"deploy script"}, "scope": {"openid", "api:read"}, "expires": {"90"}})
	webtest.WantStatus(t, w, http.StatusOK)
	m := newTokenRE.FindStringSubmatch(w.Body.String())
	if m == nil || !pat.Looks(m[1]) {
		t.Fatalf("the new token is not shown:\n%s", w.Body)
	}
	token := m[1]
	ps, err := h.Store.ListPATsByUser(h.Ctx(), "ann")
	if err != nil || len(ps) != 1 {
		t.Fatalf("stored tokens: %+v %v", ps, err)
	}
	p := ps[0]
	if !bytes.Equal(p.TokenHash, randtoken.Hash(token)) || p.Name != "deploy script" || !slices.Equal(p.Scopes, []string{"openid", "api:read"}) ||
		!p.ExpiresAt.Equal(h.Clock.Now().Add(90*24*time.Hour)) || !slices.Equal(p.AMR, []string{"pwd"}) {
		t.Fatalf("stored token: %+v", p)
	}
	if evs := h.Audits("pat.created"); len(evs) != 1 || evs[0].Details["pat_id"] != p.ID || strings.Contains(evs[0].Details["name"], token) {
		t.Errorf("audit: %+v", evs)
	}
	for _, e := range h.Audits("") {
		for _, v := range e.Details {
			if strings.Contains(v, token) {
				t.Fatal("the token is in the audit log")
			}
		}
	}
	if strings.Contains(h.Logs.String(), token) {
		t.Fatal("the token is in the log")
	}
	// Shown once: the page never shows it again, but lists the token.
	body = a.Get("/account").Body.String()
	if strings.Contains(body, token) || !strings.Contains(body, "deploy script") || !strings.Contains(body, "last used never") {
		t.Fatalf("token list:\n%s", body)
	}

	exchanged := h.grantToken(storage.KindAccessToken, "ann", "cli", "", pat.RequestID(p.ID))
	other := h.grantToken(storage.KindAccessToken, "ann", "cli", "", "r9")
	webtest.WantSeeOther(t, a.Post("/account/tokens/revoke", url.Values{"token_id": {p.ID}}), "/account?done=token")
	if ps, _ := h.Store.ListPATsByUser(h.Ctx(), "ann"); len(ps) != 0 {
		t.Fatalf("token not revoked: %+v", ps)
	}
	if h.tokenActive(storage.KindAccessToken, exchanged) || !h.tokenActive(storage.KindAccessToken, other) {
		t.Fatal("revoking must end the tokens exchanged for it, and only those")
	}
	if evs := h.Audits("pat.revoked"); len(evs) != 1 || evs[0].Details["pat_id"] != p.ID {
		t.Errorf("audit: %+v", evs)
	}
}

func TestAccountProfileAndEmailChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("ann", "ann@example.com", annPassword)
	h.User("bob", "bob@example.com", "bob-password-long")
	a, _ := h.SignInAt("ann@example.com", annPassword, "/account")

	webtest.WantSeeOther(t, a.Post("/account/profile", url.Values{"name": {"  Ann Lovelace "}}), "/account?done=profile")
	if u, _ := h.Store.GetUser(h.Ctx(), "ann"); u.Name != "Ann Lovelace" {
		t.Fatalf("name = %q", u.Name)
	}
	webtest.WantStatus(t, a.Post("/account/profile", url.Values{"name": {"a\nb"}}), http.StatusUnprocessableEntity)

	w := a.Post("/account/email", url.Values{"new_email": {"ann@new.example"}, "current_password": {"wrong"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	webtest.WantStatus(t, a.Post("/account/email", url.Values{"new_email": {"not an address"}, "current_password": {annPassword}}), http.StatusUnprocessableEntity)
	if len(h.Mailer.Sent()) != 0 {
		t.Fatal("mail sent for a refused change")
	}
	webtest.WantSeeOther(t, a.Post("/account/email", url.Values{"new_email": {"Ann@New.example"}, "current_password": {annPassword}}), "/account?done=email_sent")
	sent := h.Mailer.Sent()
	if len(sent) != 1 || sent[0].To != "ann@new.example" || sent[0].Template != "email_change_confirm" {
		t.Fatalf("mail: %+v", sent)
	}
	link := sent[0].Link()
	if !strings.HasPrefix(link, webtest.Issuer+"/account/email/confirm?token=") {
		t.Fatalf("link %q", link)
	}
	if u, _ := h.Store.GetUser(h.Ctx(), "ann"); u.Email != "ann@example.com" {
		t.Fatal("the email changed before confirmation")
	}

	// Opening the link only shows a button; the POST changes the address,
	// from any browser.
	b := h.Browser()
	w = b.Get(strings.TrimPrefix(link, webtest.Issuer))
	webtest.WantStatus(t, w, http.StatusOK)
	if u, _ := h.Store.GetUser(h.Ctx(), "ann"); u.Email != "ann@example.com" {
		t.Fatal("GET changed the email")
	}
	tok, _ := url.Parse(link)
	secret := tok.Query().Get("token")
	webtest.WantStatus(t, b.Post("/account/email/confirm", url.Values{"token": {secret}, "csrf_token": {"bogus"}}), http.StatusForbidden)
	b.Site = "cross-site"
	webtest.WantStatus(t, b.Post("/account/email/confirm", url.Values{"token": {secret}}), http.StatusForbidden)
	b.Site = "same-origin"
	w = b.Post("/account/email/confirm", url.Values{"token": {secret}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "ann@new.example") {
		t.Fatalf("confirmation page:\n%s", w.Body)
	}
	u, _ := h.Store.GetUser(h.Ctx(), "ann")
	if u.Email != "ann@new.example" || !u.EmailVerified {
		t.Fatalf("user after confirmation: %+v", u)
	}
	if sent := h.Mailer.Sent(); len(sent) != 2 || sent[1].To != "ann@example.com" || sent[1].Template != "email_change" {
		t.Fatalf("notice to the old address: %+v", sent)
	}
	if evs := h.Audits("email.changed"); len(evs) != 1 || evs[0].SubjectID != "ann" {
		t.Errorf("audit: %+v", evs)
	}
	// Single use.
	b.Get(strings.TrimPrefix(link, webtest.Issuer))
	webtest.WantStatus(t, b.Post("/account/email/confirm", url.Values{"token": {secret}}), http.StatusBadRequest)

	// A link to an address another account took meanwhile changes nothing.
	a.Get("/account")
	webtest.WantSeeOther(t, a.Post("/account/email", url.Values{"new_email": {"bob@example.com"}, "current_password": {annPassword}}), "/account?done=email_sent")
	link = h.Mailer.Sent()[2].Link()
	tok, _ = url.Parse(link)
	b.Get(strings.TrimPrefix(link, webtest.Issuer))
	webtest.WantStatus(t, b.Post("/account/email/confirm", url.Values{"token": {tok.Query().Get("token")}}), http.StatusConflict)
	if u, _ := h.Store.GetUser(h.Ctx(), "ann"); u.Email != "ann@new.example" {
		t.Fatalf("email = %q", u.Email)
	}
}

func TestAccountEmailChangeWithoutMailer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.account.Mailer = nil
	h.mount()
	h.User("ann", "ann@example.com", annPassword)
	a, _ := h.SignInAt("ann@example.com", annPassword, "/account")
	if body := a.Get("/account").Body.String(); !strings.Contains(body, "not available on this server") || strings.Contains(body, `name="new_email"`) {
		t.Fatalf("account page without mail:\n%s", body)
	}
	w := a.Post("/account/email", url.Values{"new_email": {"ann@new.example"}, "current_password": {annPassword}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
}
