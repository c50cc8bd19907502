package signin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

func TestConsentAllow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := webtest.AppClient()
	c.LogoURI, c.PolicyURI, c.TOSURI = "https://app.example/logo.png", "https://app.example/privacy", "javascript:alert(1)"
	h.Client(c)
	h.User("ann", "ann@example.com", "ann-password")
	// An earlier consent is kept and extended, not replaced.
	if err := h.Store.PutConsent(h.Ctx(), storage.Consent{UserID: "ann", ClientID: "app", Scopes: []string{"openid", "calendar.read"},
		CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	b := h.SignedInFlow("req1", webtest.AuthForm("scope", "openid profile email offline_access billing:write"))

	w := b.Get("/consent?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{"Example App", "Sign you in", "See your name", "See your email address",
		"Stay signed in (keep access when you are away)", "<code>billing:write</code>",
		`src="https://app.example/logo.png"`, `href="https://app.example/privacy"`, "Allow", "Deny", "ann@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(body, "javascript:") || strings.Contains(body, "Terms of service") {
		t.Error("consent page links a javascript: terms URL")
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Errorf("CSP %q does not let the form's redirect reach the client", csp)
	}

	w = b.Post("/consent?request=req1", url.Values{"action": {"allow"}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	ar := h.AuthReq("req1")
	if !ar.ConsentGiven || ar.Denied {
		t.Errorf("ConsentGiven %v Denied %v; want true, false", ar.ConsentGiven, ar.Denied)
	}
	got, err := h.Store.GetConsent(h.Ctx(), "ann", "app")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"openid", "calendar.read", "profile", "email", "offline_access", "billing:write"}
	slices.Sort(got.Scopes)
	slices.Sort(want)
	if !slices.Equal(got.Scopes, want) {
		t.Errorf("consent scopes %v, want union %v", got.Scopes, want)
	}
	if evs := h.Audits("consent.granted"); len(evs) != 1 || evs[0].ClientID != "app" {
		t.Errorf("consent.granted events %+v", evs)
	}
}

func TestConsentDeny(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	b := h.SignedInFlow("req1", webtest.AuthForm("scope", "openid email"))
	b.Get("/consent?request=req1")
	w := b.Post("/consent?request=req1", url.Values{"action": {"deny"}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	ar := h.AuthReq("req1")
	if ar.ConsentGiven || !ar.Denied {
		t.Errorf("ConsentGiven %v Denied %v; want false, true", ar.ConsentGiven, ar.Denied)
	}
	if _, err := h.Store.GetConsent(h.Ctx(), "ann", "app"); err == nil {
		t.Error("deny stored a consent")
	}
	if len(h.Audits("consent.denied")) != 1 {
		t.Error("no consent.denied audit event")
	}
}

// A decision counts only for the session going through the request: another
// browser (or a signed-out one) is sent to log in and cannot decide.
func TestFlowPagesRequireTheRequestsSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	h.SignedInFlow("req1", webtest.AuthForm())
	h.User("eve", "eve@example.com", "eve-password")
	eve := h.Browser()
	eve.SignIn("eve@example.com", "eve-password")
	for _, path := range []string{"/consent?request=req1", "/organization?request=req1"} {
		webtest.WantRedirect(t, eve.Get(path), "/login?request=req1")
		webtest.WantRedirect(t, eve.Post(path, url.Values{"action": {"allow"}, "org_id": {"o1"}}), "/login?request=req1")
		webtest.WantRedirect(t, h.Browser().Get(path), "/login?request=req1")
	}
	if ar := h.AuthReq("req1"); ar.ConsentGiven || ar.OrgID != "" {
		t.Errorf("another session's post changed the request: %+v", ar)
	}
}

func TestConsentCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	b := h.SignedInFlow("req1", webtest.AuthForm())
	b.Get("/consent?request=req1")
	w := b.Post("/consent?request=req1", url.Values{"action": {"allow"}, "csrf_token": {"forged"}})
	webtest.WantStatus(t, w, http.StatusForbidden)
	b.CSRF = ""
	webtest.WantStatus(t, b.Post("/consent?request=req1", url.Values{"action": {"allow"}}), http.StatusForbidden)
	if h.AuthReq("req1").ConsentGiven {
		t.Error("consent recorded without a valid token")
	}
}

func TestOrganizationPicker(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	b := h.SignedInFlow("req1", webtest.AuthForm())
	for _, m := range []storage.Membership{{OrgID: "o1", UserID: "ann", Role: "admin"}, {OrgID: "o2", UserID: "ann", Role: "member"}} {
		if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: m.OrgID, Name: "Org " + m.OrgID, CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		m.CreatedAt = h.Clock.Now()
		if err := h.Store.AddMembership(h.Ctx(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "o3", Name: "Org o3", CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w := b.Get("/organization?request=req1")
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	if !strings.Contains(body, `value="o1"`) || !strings.Contains(body, `value="o2"`) || strings.Contains(body, `value="o3"`) {
		t.Errorf("picker should list o1 and o2 only:\n%s", body)
	}

	w = b.Post("/organization?request=req1", url.Values{"org_id": {"o3"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), `role="alert"`) {
		t.Error("refusal not announced")
	}
	if ar := h.AuthReq("req1"); ar.OrgID != "" {
		t.Fatalf("org the user is not in was recorded: %q", ar.OrgID)
	}

	w = b.Post("/organization?request=req1", url.Values{"org_id": {"o2"}})
	webtest.WantRedirect(t, w, "/oauth2/authorize/resume?request=req1")
	if ar := h.AuthReq("req1"); ar.OrgID != "o2" {
		t.Errorf("request OrgID %q, want o2", ar.OrgID)
	}
	if sess, _ := b.Session(); sess.OrgID != "o2" {
		t.Errorf("session's active org %q, want o2", sess.OrgID)
	}

	b.CSRF = "forged"
	webtest.WantStatus(t, b.Post("/organization?request=req1", url.Values{"org_id": {"o1"}, "csrf_token": {"forged"}}), http.StatusForbidden)
}

// A client bound to one organization is used only in it (storage.Client.OrgID).
func TestOrganizationPickerBoundClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := webtest.AppClient()
	c.OrgID = "o2"
	h.Client(c)
	b := h.SignedInFlow("req1", webtest.AuthForm())
	if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: "o1", Name: "Org o1", CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: "o1", UserID: "ann", Role: "member", CreatedAt: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w := b.Get("/organization?request=req1")
	webtest.WantStatus(t, w, http.StatusForbidden)
	if w.Header().Get("Location") != "" {
		t.Error("error page redirected")
	}
}
