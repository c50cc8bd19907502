package web

import (
	"net/http"
	"strings"
	"testing"
)

// Signed in with no pending request, the login form's "Continue" lands on
// the home page, which says who is signed in and offers to sign out;
// without a session the home page sends the person to sign in.
func TestHome(t *testing.T) {
	h := newHarness(t)
	h.user("u1", "ada@example.com", "correct horse battery staple")
	b := h.browser()
	wantRedirect(t, b.get("/"), "/login")

	b.signIn("ada@example.com", "correct horse battery staple")
	w := b.get("/")
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, "ada@example.com") || !strings.Contains(body, `href="/logout"`) {
		t.Fatalf("home page does not show the account and a sign-out link:\n%s", body)
	}
}
