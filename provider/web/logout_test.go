package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// sessionWithTokens signs ann in and stores an access and a refresh token of
// her session plus a refresh token of another session.
func sessionWithTokens(t *testing.T, h *harness) (*agent, storage.Session) {
	t.Helper()
	h.client(appClient())
	h.user("ann", "ann@example.com", "ann-password")
	b := h.browser()
	b.signIn("ann@example.com", "ann-password")
	sess, _ := b.session()
	for _, tok := range []storage.TokenRecord{
		{Kind: storage.KindAccessToken, Signature: "at1", SessionID: sess.ID},
		{Kind: storage.KindRefreshToken, Signature: "rt1", SessionID: sess.ID},
		{Kind: storage.KindRefreshToken, Signature: "rt-other", SessionID: "another-session"},
	} {
		tok.RequestID, tok.ClientID, tok.Subject, tok.Active = "r-"+tok.Signature, "app", "ann", true
		tok.RequestedAt, tok.ExpiresAt = h.clock.now(), h.clock.now().Add(time.Hour)
		if err := h.store.CreateToken(h.ctx(), tok); err != nil {
			t.Fatal(err)
		}
	}
	h.hints.tokens["hint-ann"] = [3]string{"ann", sess.ID, "app"}
	return b, sess
}

func tokenActive(t *testing.T, h *harness, kind storage.TokenKind, sig string) bool {
	t.Helper()
	tok, err := h.store.GetToken(h.ctx(), kind, sig)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Active
}

// OpenID RP-Initiated Logout 1.0 section 2-3: a valid id_token_hint for the
// current session signs out at once; the browser goes to the registered
// post_logout_redirect_uri with state.
func TestLogoutWithHint(t *testing.T) {
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	q := url.Values{"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"x y&z"}}
	w := b.get("/oauth2/logout?" + q.Encode())
	wantRedirect(t, w, "https://app.example/bye?state=x+y%26z")

	if _, ok := b.session(); ok {
		t.Error("still signed in")
	}
	if _, err := h.store.GetSession(h.ctx(), sess.ID, h.clock.now()); err == nil {
		t.Error("session row survived")
	}
	if tokenActive(t, h, storage.KindAccessToken, "at1") || tokenActive(t, h, storage.KindRefreshToken, "rt1") {
		t.Error("the session's tokens are still active")
	}
	if !tokenActive(t, h, storage.KindRefreshToken, "rt-other") {
		t.Error("another session's token was deactivated")
	}
	if len(h.notified.ended) != 1 || h.notified.ended[0] != "ann/"+sess.ID {
		t.Errorf("notifier heard %v", h.notified.ended)
	}
	if evs := h.audits("logout"); len(evs) != 1 || evs[0].SubjectID != "ann" || evs[0].ClientID != "app" ||
		evs[0].Details["session_id"] != sess.ID {
		t.Errorf("logout audit %+v", evs)
	}
}

// Sections 2-3: the OP must not redirect to a URI that is not registered
// for the client, nor sign out silently on such a request even with a valid
// hint: it asks, and the confirmation carries no redirect.
func TestLogoutUnregisteredRedirect(t *testing.T) {
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
			w := b.get("/oauth2/logout?" + q.Encode())
			if w.Header().Get("Location") != "" {
				t.Fatalf("redirected to %q", w.Header().Get("Location"))
			}
			wantStatus(t, w, http.StatusOK)
			if _, ok := b.session(); !ok {
				t.Fatal("signed out without asking")
			}
			body := w.Body.String()
			if !strings.Contains(body, "Sign out?") || strings.Contains(body, "post_logout_redirect_uri") {
				t.Errorf("want a confirmation without a redirect:\n%s", body)
			}
			w = b.post("/oauth2/logout", url.Values{"confirm": {"yes"}})
			wantStatus(t, w, http.StatusOK)
			if _, ok := b.session(); ok {
				t.Error("confirmed sign-out left the session")
			}
		})
	}
}

func TestLogoutConfirmation(t *testing.T) {
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	// client_id alone proves nothing about the browser: ask first.
	q := url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st"}}
	w := b.get("/oauth2/logout?" + q.Encode())
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, "Example App") || !strings.Contains(body, `name="post_logout_redirect_uri" value="https://app.example/bye"`) {
		t.Errorf("confirmation page:\n%s", body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Errorf("CSP %q blocks the redirect after the confirmation post", csp)
	}
	if _, ok := b.session(); !ok {
		t.Fatal("GET without hint signed out")
	}
	// Without the page's token: refused.
	token := b.csrf
	b.csrf = ""
	wantStatus(t, b.post("/oauth2/logout", url.Values{"confirm": {"yes"}, "client_id": {"app"}}), http.StatusForbidden)
	if _, ok := b.session(); !ok {
		t.Fatal("sign-out without a form token")
	}
	b.csrf = token
	form := url.Values{"confirm": {"yes"}, "client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st"}}
	wantRedirect(t, b.post("/oauth2/logout", form), "https://app.example/bye?state=st")
	if _, err := h.store.GetSession(h.ctx(), sess.ID, h.clock.now()); err == nil {
		t.Error("session row survived the confirmed sign-out")
	}
	if tokenActive(t, h, storage.KindRefreshToken, "rt1") {
		t.Error("refresh token still active")
	}
}

func TestLogoutHintForAnotherSession(t *testing.T) {
	h := newHarness(t)
	b, _ := sessionWithTokens(t, h)
	h.hints.tokens["old"] = [3]string{"ann", "an-older-session", "app"}
	w := b.get("/oauth2/logout?id_token_hint=old")
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Sign out?") {
		t.Errorf("a hint for another session must ask first:\n%s", w.Body)
	}
	if _, ok := b.session(); !ok {
		t.Error("signed out by another session's hint")
	}
	// client_id must match the hint's client (section 2).
	h.client(storage.Client{ID: "other", PostLogoutRedirectURIs: []string{"https://other.example/bye"}})
	w = b.get("/oauth2/logout?" + url.Values{"id_token_hint": {"hint-ann"}, "client_id": {"other"},
		"post_logout_redirect_uri": {"https://other.example/bye"}}.Encode())
	wantStatus(t, w, http.StatusBadRequest)
	if _, ok := b.session(); !ok {
		t.Error("signed out by a mismatched request")
	}
}

// A client's cross-site POST carries no SameSite=Lax cookie; it is turned
// into a top-level GET that does.
func TestLogoutPostBecomesGet(t *testing.T) {
	h := newHarness(t)
	b, _ := sessionWithTokens(t, h)
	b.site = "cross-site"
	w := b.do(http.MethodPost, "/oauth2/logout", url.Values{"id_token_hint": {"hint-ann"}, "state": {"s"},
		"post_logout_redirect_uri": {"https://app.example/bye"}, "junk": {"x"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", w.Code)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	if loc.Path != "/oauth2/logout" || loc.Query().Get("id_token_hint") != "hint-ann" || loc.Query().Get("state") != "s" || loc.Query().Has("junk") {
		t.Errorf("Location %q", loc)
	}
	b.site = "cross-site"
	wantRedirect(t, b.get(loc.RequestURI()), "https://app.example/bye?state=s")
}

func TestLogoutSignedOutAndPlain(t *testing.T) {
	h := newHarness(t)
	h.client(appClient())
	// Nobody signed in: nothing to confirm; a validated redirect still happens.
	w := h.browser().get("/oauth2/logout?" + url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}}.Encode())
	wantRedirect(t, w, "https://app.example/bye")
	w = h.browser().get("/logout")
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "You are signed out") {
		t.Errorf("GET /logout when signed out:\n%s", w.Body)
	}
	// A person signing out by hand: confirm, then the signed-out page.
	h.user("ann", "ann@example.com", "ann-password")
	b := h.browser()
	b.signIn("ann@example.com", "ann-password")
	w = b.get("/logout")
	if !strings.Contains(w.Body.String(), "ann@example.com") || !strings.Contains(w.Body.String(), `action="/oauth2/logout"`) {
		t.Errorf("GET /logout when signed in:\n%s", w.Body)
	}
	w = b.post("/oauth2/logout", url.Values{"confirm": {"yes"}})
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "You are signed out") {
		t.Errorf("after confirming:\n%s", w.Body)
	}
	// HEAD never signs out, even with a matching hint.
	b.signIn("ann@example.com", "ann-password")
	sess, _ := b.session()
	h.hints.tokens["h"] = [3]string{"ann", sess.ID, "app"}
	b.do(http.MethodHead, "/oauth2/logout?id_token_hint=h", nil)
	if _, ok := b.session(); !ok {
		t.Error("HEAD signed out")
	}
}

// A logout request with a valid id_token_hint and no cookie (oauth2-proxy's
// --backend-logout-url) ends the session the hint's sid names, if it is a
// live session of the hint's subject; with an unregistered
// post_logout_redirect_uri it is refused and changes nothing.
func TestLogoutByHintWithoutCookie(t *testing.T) {
	h := newHarness(t)
	b, sess := sessionWithTokens(t, h)
	h.hints.tokens["hint-wrong-sub"] = [3]string{"bob", sess.ID, "app"}
	backend := h.browser() // no cookies
	for _, q := range []url.Values{
		{"id_token_hint": {"hint-wrong-sub"}},
		{"id_token_hint": {"hint-ann"}, "post_logout_redirect_uri": {"https://app.example/bye?x=1"}},
		{"id_token_hint": {"forged"}},
	} {
		backend.get("/oauth2/logout?" + q.Encode())
		if _, err := h.store.GetSession(h.ctx(), sess.ID, h.clock.now()); err != nil {
			t.Fatalf("%v ended the session: %v", q, err)
		}
	}
	wantStatus(t, backend.get("/oauth2/logout?"+url.Values{"id_token_hint": {"hint-ann"},
		"post_logout_redirect_uri": {"https://evil.example/"}}.Encode()), http.StatusBadRequest)

	w := backend.get("/oauth2/logout?" + url.Values{"id_token_hint": {"hint-ann"}}.Encode())
	wantStatus(t, w, http.StatusOK)
	if _, err := h.store.GetSession(h.ctx(), sess.ID, h.clock.now()); err == nil {
		t.Error("the hinted session survived")
	}
	if _, ok := b.session(); ok {
		t.Error("the browser is still signed in")
	}
	if tokenActive(t, h, storage.KindRefreshToken, "rt1") || !tokenActive(t, h, storage.KindRefreshToken, "rt-other") {
		t.Error("wrong tokens deactivated")
	}
	if len(h.notified.ended) != 1 || h.notified.ended[0] != "ann/"+sess.ID {
		t.Errorf("notifier heard %v", h.notified.ended)
	}
}
