package webtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

// AppClient is the client "app" most tests sign in to.
func AppClient() storage.Client {
	return storage.Client{ID: "app", Name: "Example App", RedirectURIs: []string{"https://app.example/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"}, Scopes: []string{"openid", "profile", "email"}}
}

// AuthForm is an authorization request of "app", with extra as key/value
// pairs set over the defaults.
func AuthForm(extra ...string) url.Values {
	f := url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s1"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// SignedInFlow signs ann in through request id (parked with form) and
// returns her browser, at the point of going back to the authorization
// endpoint.
func (e *Env) SignedInFlow(id string, form url.Values) *Agent {
	e.T.Helper()
	if _, err := e.Store.GetUserByEmail(e.Ctx(), "ann@example.com"); err != nil {
		e.User("ann", "ann@example.com", "ann-password")
	}
	e.AuthRequest(id, "app", form)
	b := e.Browser()
	b.Get("/login?request=" + id)
	w := b.Post("/login?request="+id, url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password"}})
	WantRedirect(e.T, w, "/oauth2/authorize/resume?request="+id)
	return b
}

// AuditText is every audit event's type and details, for checking that
// something (a password) never reached the audit trail.
func (e *Env) AuditText() string {
	var sb strings.Builder
	for _, ev := range e.Audits("") {
		sb.WriteString(ev.Type + " ")
		for k, v := range ev.Details {
			sb.WriteString(k + "=" + v + " ")
		}
	}
	return sb.String()
}

// TokenActive reports whether the stored token is still active.
func (e *Env) TokenActive(kind storage.TokenKind, sig string) bool {
	e.T.Helper()
	tok, err := e.Store.GetToken(e.Ctx(), kind, sig)
	if err != nil {
		e.T.Fatal(err)
	}
	return tok.Active
}

// WantPage fails the test unless w answered code with a body holding every
// one of texts.
func WantPage(t *testing.T, w interface {
	Result() *http.Response
}, body string, code int, texts ...string) {
	t.Helper()
	if got := w.Result().StatusCode; got != code {
		t.Fatalf("status %d, want %d\n%s", got, code, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Fatalf("page lacks %q:\n%s", s, body)
		}
	}
}
