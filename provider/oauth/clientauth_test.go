package oauth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/storage"
)

func TestClientAuthReason(t *testing.T) {
	t.Parallel()
	jwt := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"pkj","iss":"pkj"}`)) + ".sig"
	for _, c := range []struct {
		name       string
		form       url.Values
		basic      [2]string
		err        error
		wantReason string
		wantID     string
	}{
		{"unknown client", url.Values{"client_id": {"ghost"}, "client_secret": {"s"}},
			[2]string{}, fosite.ErrInvalidClient.WithWrap(storage.ErrNotFound), reasonUnknownClient, "ghost"},
		{"wrong secret (basic)", url.Values{}, [2]string{"svc", "bad"},
			fosite.ErrInvalidClient.WithWrap(errSecretMismatch), reasonWrongSecret, "svc"},
		{"empty secret", url.Values{"client_id": {"svc"}}, [2]string{},
			fosite.ErrInvalidClient.WithWrap(errSecretMismatch), reasonNoCredentials, "svc"},
		{"none at all", url.Values{"client_id": {"svc"}}, [2]string{},
			fosite.ErrInvalidClient.WithHint("Client authentication is required."), reasonNoCredentials, "svc"},
		{"wrong method", url.Values{"client_id": {"svc"}, "client_secret": {"s"}}, [2]string{},
			fosite.ErrInvalidClient.WithHint("The OAuth 2.0 Client supports client authentication method 'client_secret_basic', but method 'client_secret_post' was requested."),
			reasonMethodNotAllowed, "svc"},
		{"bad assertion, id from its sub", url.Values{"client_assertion": {jwt}}, [2]string{},
			fosite.ErrInvalidClient.WithHint("Unable to verify the integrity of the 'client_assertion' value."), reasonInvalidAssertion, "pkj"},
		{"public client introspecting", url.Values{"client_id": {"spa"}}, [2]string{},
			fosite.ErrInvalidClient.WithHint("Public clients may not introspect tokens."), reasonPublicClient, "spa"},
		{"escaped basic user (RFC 6749 §2.3.1)", url.Values{}, [2]string{"a%3Ab", "bad"},
			fosite.ErrInvalidClient.WithWrap(errSecretMismatch), reasonWrongSecret, "a:b"},
		{"long id is cut", url.Values{"client_id": {strings.Repeat("x", 500)}, "client_secret": {"s"}}, [2]string{},
			fosite.ErrInvalidClient.WithWrap(errSecretMismatch), reasonWrongSecret, strings.Repeat("x", maxLoggedClientID)},
	} {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(c.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c.basic[0] != "" {
			r.SetBasicAuth(c.basic[0], c.basic[1])
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		if got := clientAuthReason(r, c.err); got != c.wantReason {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.wantReason)
		}
		if got := claimedClientID(r); got != c.wantID {
			t.Errorf("%s: client id %q, want %q", c.name, got, c.wantID)
		}
	}
	for _, bad := range []string{"", "a.b", "a.!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c"} {
		if sub := assertionSubject(bad); sub != "" {
			t.Errorf("assertionSubject(%q) = %q", bad, sub)
		}
	}
}
