package signin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// sessionWithTokens signs ann in and stores an access and a refresh token of
// her session plus a refresh token of another session.
func sessionWithTokens(t *testing.T, h *harness) (*webtest.Agent, storage.Session) {
	t.Helper()
	h.Client(webtest.AppClient())
	h.User("ann", "ann@example.com", "ann-password")
	b := h.Browser()
	b.SignIn("ann@example.com", "ann-password")
	sess, _ := b.Session()
	for _, tok := range []storage.TokenRecord{
		{Kind: storage.KindAccessToken, Signature: "at1", SessionID: sess.ID},
		{Kind: storage.KindRefreshToken, Signature: "rt1", SessionID: sess.ID},
		{Kind: storage.KindRefreshToken, Signature: "rt-other", SessionID: "another-session"},
	} {
		tok.RequestID, tok.ClientID, tok.Subject, tok.Active = "r-"+tok.Signature, "app", "ann", true
		tok.RequestedAt, tok.ExpiresAt = h.Clock.Now(), h.Clock.Now().Add(time.Hour)
		if err := h.Store.CreateToken(h.Ctx(), tok); err != nil {
			t.Fatal(err)
		}
	}
	h.Hints.Tokens["hint-ann"] = [3]string{"ann", sess.ID, "app"}
	return b, sess
}

// OpenID RP-Initiated Logout 1.0 section 2-3: a valid id_token_hint for the
// current session signs out at once; the browser goes to the registered
// post_logout_redirect_uri with state.
func TestLogoutWithHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	q := url.Values{"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"x y&z"}}
	w := b.Get("/oauth2/logout?" + q.Encode())
	webtest.WantRedirect(t, w, "https://app.example/bye?state=x+y%26z")

	if _, ok := b.Session(); ok {
		t.Error("still signed in")
	}
	if _, err := h.Store.GetSession(h.Ctx(), sess.ID, h.Clock.Now()); err == nil {
		t.Error("session row survived")
	}
	if h.TokenActive(storage.KindAccessToken, "at1") || h.TokenActive(storage.KindRefreshToken, "rt1") {
		t.Error("the session's tokens are still active")
	}
	if !h.TokenActive(storage.KindRefreshToken, "rt-other") {
		t.Error("another session's token was deactivated")
	}
	if len(h.Notified.Ended()) != 1 || h.Notified.Ended()[0] != "ann/"+sess.ID {
		t.Errorf("notifier heard %v", h.Notified.Ended())
	}
	if evs := h.Audits("logout"); len(evs) != 1 || evs[0].SubjectID != "ann" || evs[0].ClientID != "app" ||
		evs[0].Details["session_id"] != sess.ID {
		t.Errorf("logout audit %+v", evs)
	}
}

// Sections 2-3: the OP must not redirect to a URI that is not registered
// for the client, nor sign out silently on such a request even with a valid
// hint: it asks, and the confirmation carries no redirect.
func TestLogoutUnregisteredRedirect(t *testing.T) {
	t.Parallel()
	for name, q := range map[string]url.Values{
		"unregistered":     {"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://evil.example/"}, "state": {"s"}},
		"prefix match":     {"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye/x"}},
		"added query":      {"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye?x=1"}},
		"no client named":  {"post_logout_redirect_uri": {"https://app.example/bye"}},
		"unknown client":   {"client_id": {"nope"}, "post_logout_redirect_uri": {"https://app.example/bye"}},
		"bad hint ignored": {"id_token_hint": {"forged"}, "post_logout_redirect_uri": {"https://app.example/bye"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			b, _ := sessionWithTokens(t, h)
			w := b.Get("/oauth2/logout?" + q.Encode())
			if w.Header().Get("Location") != "" {
				t.Fatalf("redirected to %q", w.Header().Get("Location"))
			}
			webtest.WantStatus(t, w, http.StatusOK)
			if _, ok := b.Session(); !ok {
				t.Fatal("signed out without asking")
			}
			body := w.Body.String()
			if !strings.Contains(body, "Sign out?") || strings.Contains(body, "post_logout_redirect_uri") {
				t.Errorf("want a confirmation without a redirect:\n%s", body)
			}
			w = b.Post("/oauth2/logout", url.Values{"confirm": {"yes"}})
			webtest.WantStatus(t, w, http.StatusOK)
			if _, ok := b.Session(); ok {
				t.Error("confirmed sign-out left the session")
			}
		})
	}
}

func TestLogoutConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	// client_id alone proves nothing about the browser: ask first.
	q := url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st"}}
	w := b.Get("/oauth2/logout?" + q.Encode())
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, "Example App") || !strings.Contains(body, `name="post_logout_redirect_uri" value="https://app.example/bye"`) {
		t.Errorf("confirmation page:\n%s", body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Errorf("CSP %q blocks the redirect after the confirmation post", csp)
	}
	if _, ok := b.Session(); !ok {
		t.Fatal("GET without hint signed out")
	}
	// Without the page's token: refused.
	token := b.CSRF
	b.CSRF = ""
	webtest.WantStatus(t, b.Post("/oauth2/logout", url.Values{"confirm": {"yes"}, "client_id": {"app"}}), http.StatusForbidden)
	if _, ok := b.Session(); !ok {
		t.Fatal("sign-out without a form token")
	}
	b.CSRF = token
	form := url.Values{"confirm": {"yes"}, "client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st"}}
	webtest.WantRedirect(t, b.Post("/oauth2/logout", form), "https://app.example/bye?state=st")
	if _, err := h.Store.GetSession(h.Ctx(), sess.ID, h.Clock.Now()); err == nil {
		t.Error("session row survived the confirmed sign-out")
	}
	if h.TokenActive(storage.KindRefreshToken, "rt1") {
		t.Error("refresh token still active")
	}
}

func TestLogoutHintForAnotherSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, _ := sessionWithTokens(t, h)
	h.Hints.Tokens["old"] = [3]string{"ann", "an-older-session", "app"}
	w := b.Get("/oauth2/logout?id_token_hint=old")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Sign out?") {
		t.Errorf("a hint for another session must ask first:\n%s", w.Body)
	}
	if _, ok := b.Session(); !ok {
		t.Error("signed out by another session's hint")
	}
	// client_id must match the hint's client (section 2).
	h.Client(storage.Client{ID: "other", PostLogoutRedirectURIs: []string{"https://other.example/bye"}})
	w = b.Get("/oauth2/logout?" + url.Values{"id_token_hint": {"hint-ann"}, "client_id": {"other"},
		"post_logout_redirect_uri": {"https://other.example/bye"}}.Encode())
	webtest.WantStatus(t, w, http.StatusBadRequest)
	if _, ok := b.Session(); !ok {
		t.Error("signed out by a mismatched request")
	}
}

// A client's cross-site POST carries no SameSite=Lax cookie; it is turned
// into a top-level GET that does.
func TestLogoutPostBecomesGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, _ := sessionWithTokens(t, h)
	b.Site = "cross-site"
	w := b.Do(http.MethodPost, "/oauth2/logout", url.Values{"id_token_hint": {"hint-ann"}, "state": {"s"},
		"post_logout_redirect_uri": {"https://app.example/bye"}, "junk": {"x"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", w.Code)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	if loc.Path != "/oauth2/logout" || loc.Query().Get("id_token_hint") != "hint-ann" || loc.Query().Get("state") != "s" || loc.Query().Has("junk") {
		t.Errorf("Location %q", loc)
	}
	b.Site = "cross-site"
	webtest.WantRedirect(t, b.Get(loc.RequestURI()), "https://app.example/bye?state=s")
}

func TestLogoutSignedOutAndPlain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	// Nobody signed in: nothing to confirm; a validated redirect still happens.
	w := h.Browser().Get("/oauth2/logout?" + url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}}.Encode())
	webtest.WantRedirect(t, w, "https://app.example/bye")
	w = h.Browser().Get("/logout")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "You are signed out") {
		t.Errorf("GET /logout when signed out:\n%s", w.Body)
	}
	// A user signing out by hand: confirm, then the signed-out page.
	h.User("ann", "ann@example.com", "ann-password")
	b := h.Browser()
	b.SignIn("ann@example.com", "ann-password")
	w = b.Get("/logout")
	if !strings.Contains(w.Body.String(), "ann@example.com") || !strings.Contains(w.Body.String(), `action="/oauth2/logout"`) {
		t.Errorf("GET /logout when signed in:\n%s", w.Body)
	}
	w = b.Post("/oauth2/logout", url.Values{"confirm": {"yes"}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "You are signed out") {
		t.Errorf("after confirming:\n%s", w.Body)
	}
	// HEAD never signs out, even with a matching hint.
	b.SignIn("ann@example.com", "ann-password")
	sess, _ := b.Session()
	h.Hints.Tokens["h"] = [3]string{"ann", sess.ID, "app"}
	b.Do(http.MethodHead, "/oauth2/logout?id_token_hint=h", nil)
	if _, ok := b.Session(); !ok {
		t.Error("HEAD signed out")
	}
}

// A logout request with a valid id_token_hint and no cookie (oauth2-proxy's
// --backend-logout-url) ends the session the hint's sid names, if it is a
// live session of the hint's subject; with an unregistered
// post_logout_redirect_uri it is refused and changes nothing.
func TestLogoutByHintWithoutCookie(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	h.Hints.Tokens["hint-wrong-sub"] = [3]string{"bob", sess.ID, "app"}
	backend := h.Browser() // no cookies
	for _, q := range []url.Values{
		{"id_token_hint": {"hint-wrong-sub"}},
		{"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye?x=1"}},
		{"id_token_hint": {"forged"}},
	} {
		backend.Get("/oauth2/logout?" + q.Encode())
		if _, err := h.Store.GetSession(h.Ctx(), sess.ID, h.Clock.Now()); err != nil {
			t.Fatalf("%v ended the session: %v", q, err)
		}
	}
	webtest.WantStatus(t, backend.Get("/oauth2/logout?"+url.Values{"id_token_hint": {"hint-ann"},
		"post_logout_redirect_uri": {"https://evil.example/"}}.Encode()), http.StatusBadRequest)

	w := backend.Get("/oauth2/logout?" + url.Values{"id_token_hint": {"hint-ann"}}.Encode())
	webtest.WantStatus(t, w, http.StatusOK)
	if _, err := h.Store.GetSession(h.Ctx(), sess.ID, h.Clock.Now()); err == nil {
		t.Error("the hinted session survived")
	}
	if _, ok := b.Session(); ok {
		t.Error("the browser is still signed in")
	}
	if h.TokenActive(storage.KindRefreshToken, "rt1") || !h.TokenActive(storage.KindRefreshToken, "rt-other") {
		t.Error("wrong tokens deactivated")
	}
	if len(h.Notified.Ended()) != 1 || h.Notified.Ended()[0] != "ann/"+sess.ID {
		t.Errorf("notifier heard %v", h.Notified.Ended())
	}
}
