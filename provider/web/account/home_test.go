package account_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
)

// Signed in with no pending request, the login form's "Continue" lands on
// the home page, which says who is signed in and offers to sign out;
// without a session the home page sends the user to sign in.
func TestHome(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.User("u1", "ada@example.com", "correct horse battery staple")
	b := h.Browser()
	webtest.WantRedirect(t, b.Get("/"), "/login")

	b.SignIn("ada@example.com", "correct horse battery staple")
	w := b.Get("/")
	webtest.WantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "ada@example.com") || !strings.Contains(body, `href="/logout"`) {
		t.Fatalf("home page does not show the account and a sign-out link:\n%s", body)
	}
}
