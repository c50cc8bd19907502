package device

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

const goodCode = "BCDF-GHJK"

// fakeDevices knows one pending code; decisions are recorded.
type fakeDevices struct {
	orgs    []storage.Membership
	decided []string
	// refuse is what DecideDevice answers.
	refuse error
}

func (f *fakeDevices) LookupDevice(_ context.Context, typed string) (string, storage.Client, []string, error) {
	if strings.ToUpper(strings.ReplaceAll(typed, " ", "-")) != goodCode {
		return "", storage.Client{}, nil, fault.NotFoundf("This code is not valid.")
	}
	return goodCode, storage.Client{ID: "tv", Name: "Living-room TV", LogoURI: "https://tv.example/logo.png"},
		[]string{"openid", "offline_access", "api:read"}, nil
}

func (f *fakeDevices) DeviceOrganizations(context.Context, storage.Client, string) ([]storage.Membership, error) {
	return f.orgs, nil
}

func (f *fakeDevices) DecideDevice(_ context.Context, typed string, bs storage.Session, orgID string, approve bool) error {
	if f.refuse != nil {
		return f.refuse
	}
	f.decided = append(f.decided, typed+" "+bs.UserID+" "+orgID+" "+map[bool]string{true: "approve", false: "deny"}[approve])
	return nil
}

func setup(t *testing.T) (*webtest.Env, *fakeDevices) {
	t.Helper()
	env := webtest.New(t)
	env.User("alice", "alice@example.com", "correct horse battery")
	devs := &fakeDevices{}
	p, err := New(Pages{Site: env.Site(), Devices: devs, Guesses: &throttle.Guesses{Store: env.Store, Name: "device",
		Limit: 3, IPLimit: 10, Window: 15 * time.Minute, Now: env.Clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	env.Mount(p.Routes())
	return env, devs
}

// TestDeviceSignsInFirst: the verification URI and verification_uri_complete
// send a signed-out browser to the login page and back (RFC 8628 §3.3).
func TestDeviceSignsInFirst(t *testing.T) {
	t.Parallel()
	env, _ := setup(t)
	a := env.Browser()
	w := a.Get("/device?user_code=" + goodCode)
	webtest.WantRedirect(t, w, "/login?"+url.Values{"return_to": {"/device?user_code=" + goodCode}}.Encode())
	w = a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}})
	webtest.WantStatus(t, w, http.StatusUnauthorized)
}

// TestDeviceApprove: the code from verification_uri_complete is shown with
// the client's name, logo and scopes; Approve records the decision.
func TestDeviceApprove(t *testing.T) {
	t.Parallel()
	env, devs := setup(t)
	devs.orgs = []storage.Membership{{OrgID: "o1", OrgName: "Acme", Role: "admin"}, {OrgID: "o2", OrgName: "Globex", Role: "member"}}
	a, _ := env.SignedIn("alice")
	w := a.Get("/device?user_code=" + url.QueryEscape(goodCode))
	webtest.WantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{"Living-room TV", goodCode, `src="https://tv.example/logo.png"`, "Sign you in", "<code>api:read</code>",
		`value="o1"`, "Globex", `name="csrf_token"`} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
	w = a.Do(http.MethodPost, "/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}, "org_id": {"o2"}})
	webtest.WantStatus(t, w, http.StatusForbidden) // no CSRF token
	if len(devs.decided) != 0 {
		t.Fatalf("decided without a CSRF token: %v", devs.decided)
	}
	w = a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}, "org_id": {"o2"}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Device connected") {
		t.Errorf("after approval: %s", w.Body)
	}
	if got := strings.Join(devs.decided, "|"); got != goodCode+" alice o2 approve" {
		t.Errorf("decisions %q", got)
	}
	if ev := env.Audits("device.approved"); len(ev) != 1 || ev[0].ClientID != "tv" || ev[0].ActorID != "alice" || ev[0].OrgID != "o2" {
		t.Errorf("audit: %+v", ev)
	}
}

// TestDeviceEnterAndDeny: the code typed in the form finds the request, a
// wrong one is shown again with why; Deny records a denial; an unknown choice is refused.
func TestDeviceEnterAndDeny(t *testing.T) {
	t.Parallel()
	env, devs := setup(t)
	a, _ := env.SignedIn("alice")
	w := a.Get("/device")
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `name="user_code"`) {
		t.Fatalf("entry form: %s", w.Body)
	}
	w = a.Post("/device", url.Values{"user_code": {"BCDF-GHJX"}})
	webtest.WantStatus(t, w, http.StatusNotFound)
	if !strings.Contains(w.Body.String(), "This code is not valid.") || !strings.Contains(w.Body.String(), `value="BCDF-GHJX"`) {
		t.Errorf("wrong code page: %s", w.Body)
	}
	w = a.Post("/device", url.Values{"user_code": {"bcdf ghjk"}})
	webtest.WantStatus(t, w, http.StatusOK)
	w = a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"maybe"}})
	webtest.WantStatus(t, w, http.StatusBadRequest)
	a.Get("/device?user_code=" + goodCode)
	w = a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"deny"}})
	webtest.WantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "Device not connected") || strings.Join(devs.decided, "|") != goodCode+" alice  deny" {
		t.Errorf("deny: %q, page %s", devs.decided, w.Body)
	}
	if ev := env.Audits("device.denied"); len(ev) != 1 {
		t.Errorf("audit: %+v", ev)
	}
}

// TestDeviceRefusals: a refusal the person can fix (no organization
// chosen) shows the confirmation again; one they cannot is an error page.
func TestDeviceRefusals(t *testing.T) {
	t.Parallel()
	env, devs := setup(t)
	a, _ := env.SignedIn("alice")
	a.Get("/device?user_code=" + goodCode)
	devs.refuse = fault.Invalidf("Choose the organization the device acts for.")
	w := a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}})
	webtest.WantStatus(t, w, http.StatusBadRequest)
	if body := w.Body.String(); !strings.Contains(body, "Choose the organization") || !strings.Contains(body, "device-approve") {
		t.Errorf("invalid refusal page: %s", body)
	}
	devs.refuse = fault.NotFoundf("This code is not valid.")
	w = a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}})
	webtest.WantStatus(t, w, http.StatusNotFound)
}

// TestDeviceGuessingIsLimited: wrong codes are counted per user (RFC 8628
// §5.1); past the limit even the right code waits (429, Retry-After).
func TestDeviceGuessingIsLimited(t *testing.T) {
	t.Parallel()
	env, _ := setup(t)
	a, _ := env.SignedIn("alice")
	a.Get("/device")
	if w := a.Post("/device/decide", url.Values{"user_code": {"ZZZZ-ZZZZ"}, "action": {"approve"}}); w.Code != http.StatusNotFound {
		t.Fatalf("wrong code on the decision form: status %d", w.Code)
	}
	for i := range 2 {
		w := a.Post("/device", url.Values{"user_code": {"ZZZZ-ZZZZ"}})
		if w.Code != http.StatusNotFound {
			t.Fatalf("wrong guess %d: status %d", i, w.Code)
		}
	}
	w := a.Get("/device?user_code=" + goodCode)
	webtest.WantStatus(t, w, http.StatusTooManyRequests)
	// The decision form names a code too: no way around the limit.
	webtest.WantStatus(t, a.Post("/device/decide", url.Values{"user_code": {goodCode}, "action": {"approve"}}), http.StatusTooManyRequests)
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	env.Clock.Add(16 * time.Minute)
	webtest.WantStatus(t, a.Get("/device?user_code="+goodCode), http.StatusOK)
}
