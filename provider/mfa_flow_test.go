package provider

import (
	"bytes"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// flowEnv is the whole provider over a fresh SQLite database, driven over
// HTTP by a client that keeps cookies and does not follow redirects.
type flowEnv struct {
	t     *testing.T
	srv   *httptest.Server
	store *sqlite.Store
	cfg   Config
	http  *http.Client
	p     *Provider
}

const flowRedirect = "https://app.example/cb"

func newFlowEnv(t *testing.T, mutate ...func(*Config)) *flowEnv {
	t.Helper()
	st := sqlitetest.Open(t)
	e := &flowEnv{t: t, store: st}
	e.srv = httptest.NewUnstartedServer(nil)
	e.cfg = DefaultConfig()
	e.cfg.Issuer, e.cfg.Secrets = "http://"+e.srv.Listener.Addr().String(), [][]byte{bytes.Repeat([]byte("p"), 32)}
	for _, m := range mutate {
		m(&e.cfg)
	}
	p, err := New(t.Context(), e.cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	t.Cleanup(p.Close)
	e.srv.Config.Handler = p
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.http = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	hash, err := password.Hash("ann-password-long")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	must(t, st.CreateUser(t.Context(), storage.User{ID: "ann", Email: "ann@example.com", PasswordHash: hash, EmailVerified: true, CreatedAt: now}))
	must(t, st.CreateClient(t.Context(), storage.Client{ID: "spa", Name: "SPA", Public: true, FirstParty: true,
		RedirectURIs: []string{flowRedirect}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid"}, TokenEndpointAuthMethod: "none", CreatedAt: now}))
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *flowEnv) do(method, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.cfg.Issuer + path
	}
	req, err := http.NewRequest(method, target, body)
	must(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.http.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// post sends form with the token of the page at path.
func (e *flowEnv) post(path string, form url.Values) *http.Response {
	e.t.Helper()
	_, page := e.do(http.MethodGet, path, nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		e.t.Fatalf("no form token on %s:\n%s", path, page)
	}
	form.Set("csrf_token", html.UnescapeString(m[1]))
	resp, _ := e.do(http.MethodPost, path, form)
	return resp
}

func authorizeURL(extra ...string) string {
	q := url.Values{"client_id": {"spa"}, "redirect_uri": {flowRedirect}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"st4te-value"}, "nonce": {"n0nce-value"}, "code_challenge_method": {"S256"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/oauth2/authorize?" + q.Encode()
}

// start begins an authorization and returns the login page path it parks on.
func (e *flowEnv) start() string {
	e.t.Helper()
	resp, body := e.do(http.MethodGet, authorizeURL(), nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login?request=") {
		e.t.Fatalf("authorize: %d to %q\n%s", resp.StatusCode, loc, body)
	}
	return loc
}

// After the password, a user with a second factor is only half signed
// in: the authorization endpoint still sees nobody, whether resumed or
// asked afresh, and prompt=none answers login_required.
func TestHalfSignedInCannotAuthorize(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	svc, err := newSecondFactor(e.cfg, e.store)
	must(t, err)
	en, err := svc.Begin(t.Context(), "ann", "ann@example.com", true)
	must(t, err)
	secret, _ := totp.Encoding.DecodeString(en.Secret)
	_, err = svc.Confirm(t.Context(), "ann", totp.Code(secret, totp.Step(time.Now())))
	must(t, err)

	login := e.start()
	reqID := strings.TrimPrefix(login, "/login?request=")
	resp := e.post(login, url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})
	if loc := resp.Header.Get("Location"); loc != "/login/mfa?request="+reqID {
		t.Fatalf("after the password: %d to %q; want the second step", resp.StatusCode, loc)
	}

	for _, path := range []string{"/oauth2/authorize/resume?request=" + reqID, authorizeURL()} {
		resp, _ := e.do(http.MethodGet, path, nil)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login?request=") {
			t.Errorf("GET %s while half signed in: %d to %q; want the login page", path, resp.StatusCode, loc)
		}
	}
	resp, _ = e.do(http.MethodGet, authorizeURL("prompt", "none"), nil)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, flowRedirect+"?") || !strings.Contains(loc, "error=login_required") {
		t.Errorf("prompt=none while half signed in: %q; want login_required", loc)
	}
	// The account page does not see a session either.
	if resp, _ := e.do(http.MethodGet, "/account/mfa", nil); !strings.HasPrefix(resp.Header.Get("Location"), "/login?") {
		t.Errorf("/account/mfa while half signed in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The code finishes the sign-in; the code reaches the client.
	resp = e.post("/login/mfa?request="+reqID, url.Values{"code": {totp.Code(secret, totp.Step(time.Now())+1)}})
	if loc := resp.Header.Get("Location"); loc != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("second step: %d to %q", resp.StatusCode, loc)
	}
	resp, _ = e.do(http.MethodGet, "/oauth2/authorize/resume?request="+reqID, nil)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, flowRedirect+"?code=") {
		t.Fatalf("resume after the second factor: %d to %q; want a code", resp.StatusCode, loc)
	}
}

// A member of an organization that requires a second factor, signed in by
// password alone, is sent to set one up before the authorization goes on;
// prompt=none answers interaction_required.
func TestOrgRequiresSecondFactor(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	now := time.Now()
	must(t, e.store.CreateOrg(t.Context(), storage.Organization{ID: "acme", Name: "Acme", RequireMFA: true, CreatedAt: now}))
	must(t, e.store.AddMembership(t.Context(), storage.Membership{OrgID: "acme", UserID: "ann", Role: "member", CreatedAt: now}))

	login := e.start()
	reqID := strings.TrimPrefix(login, "/login?request=")
	e.post(login, url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})
	resp, _ := e.do(http.MethodGet, "/oauth2/authorize/resume?request="+reqID, nil)
	if loc := resp.Header.Get("Location"); loc != "/account/mfa?request="+reqID {
		t.Fatalf("resume without the required factor: %d to %q; want /account/mfa", resp.StatusCode, loc)
	}
	resp, _ = e.do(http.MethodGet, authorizeURL("prompt", "none"), nil)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=interaction_required") {
		t.Errorf("prompt=none without the required factor: %q; want interaction_required", loc)
	}

	// Enrolling on that page satisfies the requirement.
	e.post("/account/mfa?request="+reqID, url.Values{"action": {"begin"}})
	_, page := e.do(http.MethodGet, "/account/mfa?request="+reqID, nil)
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no key on the setup page:\n%s", page)
	}
	secret, _ := totp.Encoding.DecodeString(strings.ReplaceAll(m[1], " ", ""))
	resp = e.post("/account/mfa?request="+reqID, url.Values{"action": {"confirm"}, "code": {totp.Code(secret, totp.Step(time.Now()))}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	resp, _ = e.do(http.MethodGet, "/oauth2/authorize/resume?request="+reqID, nil)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, flowRedirect+"?code=") {
		t.Fatalf("resume after enrollment: %d to %q; want a code", resp.StatusCode, loc)
	}
}
