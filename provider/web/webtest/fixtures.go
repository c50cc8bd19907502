package webtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/storage"
)

// AppClient is the application the pages' sign-in tests authorize, "app".
func AppClient() storage.Client {
	return storage.Client{ID: "app", Name: "Example App", RedirectURIs: []string{"https://app.example/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"}, Scopes: []string{"openid", "profile", "email"}}
}

// AuthForm is an authorization request of AppClient, with extra as
// name, value pairs set on it.
func AuthForm(extra ...string) url.Values {
	f := url.Values{"client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s1"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
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
