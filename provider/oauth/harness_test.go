package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// ---------------------------------------------------------------------------
// Harness: the handlers on an httptest server over a real store, SQLite
// unless a test (the benchmarks) asks for PostgreSQL.

type harness struct {
	t       testing.TB
	srv     *httptest.Server
	issuer  string
	s       *Server
	store   storage.Store
	clock   *testClock
	keys    *fakeKeys
	browser *fakeBrowser
	pages   *fakePages
}

// Fixture clients. app is confidential and first-party; spa is public;
// third is a confidential third-party client; svc does client_credentials.
const (
	appRedirect   = "http://127.0.0.1:9999/cb"
	spaRedirect   = "https://spa.example/cb"
	spaOrigin     = "https://spa.example"
	thirdRedirect = "https://third.example/cb"
	apiAudience   = "https://api.example"
)

type testClient struct {
	id, secret, redirect string
	// post: client_secret_post instead of client_secret_basic.
	post bool
}

var (
	appClient   = testClient{"app", "app-secret-0123456789abcdefghijklmnopqrstuv", appRedirect, false}
	spaClient   = testClient{"spa", "", spaRedirect, false}
	thirdClient = testClient{"third", "third-secret-0123456789abcdefghijklmnopqrst", thirdRedirect, true}
	svcClient   = testClient{"svc", "svc-secret-0123456789abcdefghijklmnopqrstuvw", "", false}
)

func newHarness(t testing.TB, mutate ...func(*Config)) *harness {
	t.Helper()
	return newHarnessOn(t, openSQLite(t), mutate...)
}

// openSQLite is a migrated SQLite store in the test's temp dir.
func openSQLite(t testing.TB) storage.Store {
	return sqlitetest.Open(t)
}

// openPostgres is a migrated store on a fresh database of the throwaway
// cluster pgtest runs (or of $OSTIARY_TEST_POSTGRES); pgtest skips the
// test loudly when there is no PostgreSQL.
func openPostgres(t testing.TB) storage.Store {
	t.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return store
}

func newHarnessOn(t testing.TB, store storage.Store, mutate ...func(*Config)) *harness {
	t.Helper()
	var err error
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	h := &harness{
		t: t, srv: srv, issuer: srv.URL, store: store, clock: &testClock{}, keys: newFakeKeys(),
		browser: &fakeBrowser{sessions: map[string]storage.Session{}}, pages: &fakePages{},
	}
	cfg := withLifespans(Config{Issuer: srv.URL, HMACSecret: bytes.Repeat([]byte("k"), 32)})
	for _, m := range mutate {
		m(&cfg)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("OAUTH_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h.s, err = New(cfg, Deps{Store: store, Keys: h.keys, Browser: h.browser, Pages: h.pages, Now: h.clock.Now, Logger: logger})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.HandleFunc("/oauth2/authorize", h.s.Authorize)
	mux.HandleFunc("/oauth2/authorize/resume", h.s.ResumeAuthorize)
	mux.HandleFunc("/oauth2/token", h.s.Token)
	mux.HandleFunc("/oauth2/par", h.s.PushedAuthorize)
	mux.HandleFunc("/oauth2/introspect", h.s.Introspect)
	mux.HandleFunc("/oauth2/revoke", h.s.Revoke)
	mux.HandleFunc("/oauth2/userinfo", h.s.Userinfo)
	mux.HandleFunc("/oauth2/device_authorization", h.s.DeviceAuthorization)
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(h.keys.jwks())
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                h.issuer,
			"authorization_endpoint":                h.issuer + "/oauth2/authorize",
			"token_endpoint":                        h.issuer + "/oauth2/token",
			"userinfo_endpoint":                     h.issuer + "/oauth2/userinfo",
			"jwks_uri":                              h.issuer + "/.well-known/jwks.json",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	h.seed()
	return h
}

func (h *harness) must(what string, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
}

func (h *harness) seed() {
	ctx := context.Background()
	now := h.clock.Now()
	for _, u := range []storage.User{
		{ID: "u1", Email: "alice@example.com", Name: "Alice", EmailVerified: true},
		{ID: "u2", Email: "bob@example.com", Name: "Bob"},
	} {
		u.CreatedAt, u.UpdatedAt = now, now
		h.must("CreateUser", h.store.CreateUser(ctx, u))
	}
	for _, o := range []storage.Organization{{ID: "o1", Name: "Acme"}, {ID: "o2", Name: "Globex"}} {
		o.CreatedAt, o.UpdatedAt = now, now
		h.must("CreateOrg", h.store.CreateOrg(ctx, o))
	}
	// u1 belongs to one organization, u2 to two.
	for _, m := range []storage.Membership{
		{OrgID: "o1", UserID: "u1", Role: "admin"},
		{OrgID: "o1", UserID: "u2", Role: "member"},
		{OrgID: "o2", UserID: "u2", Role: "owner"},
	} {
		m.CreatedAt = now
		h.must("AddMembership", h.store.AddMembership(ctx, m))
	}
	userScopes := []string{"openid", "profile", "email", "offline_access", "api:read"}
	for _, c := range []storage.Client{
		{
			ID: appClient.id, SecretHash: randtoken.Hash(appClient.secret), Name: "App", FirstParty: true,
			RedirectURIs: []string{appRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
			Scopes: userScopes, Audiences: []string{apiAudience}, TokenEndpointAuthMethod: "client_secret_basic",
		},
		{
			ID: spaClient.id, Name: "SPA", Public: true, FirstParty: true, RedirectURIs: []string{spaRedirect},
			CORSOrigins: []string{spaOrigin}, GrantTypes: []string{"authorization_code", "refresh_token"},
			Scopes: userScopes, TokenEndpointAuthMethod: "none",
		},
		{
			ID: thirdClient.id, SecretHash: randtoken.Hash(thirdClient.secret), Name: "Third",
			RedirectURIs: []string{thirdRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
			Scopes: userScopes, TokenEndpointAuthMethod: "client_secret_post",
		},
		{
			ID: svcClient.id, SecretHash: randtoken.Hash(svcClient.secret), Name: "Service",
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read", "api:write"},
			Audiences: []string{apiAudience}, TokenEndpointAuthMethod: "client_secret_basic",
		},
	} {
		c.ResponseTypes = []string{"code"}
		c.CreatedAt, c.UpdatedAt = now, now
		h.must("CreateClient", h.store.CreateClient(ctx, c))
	}
}

// agent is one browser: its own cookie jar, redirects not followed.
type agent struct {
	h      *harness
	client *http.Client
}

func (h *harness) agent() *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{h: h, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn gives the agent a browser session for userID.
func (a *agent) signIn(userID string, orgID string) storage.Session {
	now := a.h.clock.Now()
	s := storage.Session{ID: randtoken.ID(), UserID: userID, OrgID: orgID, AuthTime: now, AMR: []string{"pwd"},
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}
	a.h.browser.put(s)
	u, _ := url.Parse(a.h.issuer)
	a.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: s.ID, Path: "/"}})
	return s
}

func (a *agent) get(raw string) *http.Response {
	a.h.t.Helper()
	resp, err := a.client.Get(raw)
	if err != nil {
		a.h.t.Fatalf("GET %s: %v", raw, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

// page simulates provider/web: it records a decision on the parked
// request, as the login, organization and consent pages do.
type page func(a *agent, path, requestID string)

// loginAs signs the agent in as userID on the login page, then picks org
// and consents if asked.
func loginAs(userID, org string) page {
	return func(a *agent, path, id string) {
		h := a.h
		ctx := context.Background()
		switch path {
		case PathLogin:
			s := a.signIn(userID, "")
			h.must("record login", h.store.UpdateAuthRequest(ctx, id, func(r storage.AuthRequest) (storage.AuthRequest, error) {
				r.SessionID, r.LoginAt = s.ID, h.clock.Now()
				return r, nil
			}))
		case PathOrganization:
			if org == "" {
				h.t.Fatalf("unexpected organization page")
			}
			h.must("record org", h.store.UpdateAuthRequest(ctx, id, func(r storage.AuthRequest) (storage.AuthRequest, error) {
				r.OrgID = org
				return r, nil
			}))
		case PathConsent:
			h.must("record consent", h.store.UpdateAuthRequest(ctx, id, func(r storage.AuthRequest) (storage.AuthRequest, error) {
				r.ConsentGiven = true
				return r, nil
			}))
		}
	}
}

// noPages fails the test if any page is shown.
func noPages(a *agent, path, _ string) { a.h.t.Fatalf("unexpected page %s", path) }

// follow drives the browser from an authorization URL until it leaves the
// provider, calling onPage for every page it is sent to. It returns the
// final redirect (to the client) and the pages seen.
func (a *agent) follow(start string, onPage page) (*url.URL, []string) {
	a.h.t.Helper()
	next, seen := start, []string(nil)
	for range 10 {
		resp := a.get(next)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			a.h.t.Fatalf("GET %s: status %d (page %q), want a redirect", next, resp.StatusCode, a.h.pages.title)
		}
		loc, err := resp.Location()
		if err != nil {
			a.h.t.Fatalf("redirect without Location: %v", err)
		}
		if !strings.HasPrefix(loc.String(), a.h.issuer+"/") {
			return loc, seen
		}
		id := loc.Query().Get("request")
		seen = append(seen, loc.Path)
		onPage(a, loc.Path, id)
		next = a.h.issuer + PathResume + "?request=" + url.QueryEscape(id)
	}
	a.h.t.Fatalf("too many redirects")
	return nil, nil
}

// authURL builds an authorization request with PKCE for c.
func (h *harness) authURL(c testClient, challenge string, extra url.Values) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.id},
		"redirect_uri":          {c.redirect},
		"scope":                 {"openid profile email offline_access"},
		"state":                 {"state-0123456789"},
		"nonce":                 {"nonce-0123456789"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	return h.issuer + "/oauth2/authorize?" + q.Encode()
}

// postForm sends a form to path, with basic auth when user is set.
func (h *harness) postForm(path string, form url.Values, user, pass string, header ...string) (*http.Response, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil && resp.StatusCode != http.StatusOK {
			h.t.Fatalf("POST %s: status %d, body %q is not JSON", path, resp.StatusCode, raw)
		}
	}
	return resp, body
}

// token posts to the token endpoint as c (basic auth for confidential
// clients, client_id for public ones).
func (h *harness) token(c testClient, form url.Values) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.postAs(c, "/oauth2/token", form)
}

// postAs posts form to path authenticated as c, as at the token endpoint.
func (h *harness) postAs(c testClient, path string, form url.Values) (*http.Response, map[string]any) {
	h.t.Helper()
	if c.secret == "" || c.post {
		form.Set("client_id", c.id)
		if c.post {
			form.Set("client_secret", c.secret)
		}
		return h.postForm(path, form, "", "")
	}
	return h.postForm(path, form, c.id, c.secret)
}

// codeFor runs the authorization flow for c as a browser already signed in
// (first-party: no page) and returns the code and its verifier.
func (h *harness) codeFor(a *agent, c testClient, extra url.Values, onPage page) (code, verifier string) {
	h.t.Helper()
	verifier = randtoken.New() + "x"
	loc, _ := a.follow(h.authURL(c, s256(verifier), extra), onPage)
	code = loc.Query().Get("code")
	if code == "" {
		h.t.Fatalf("no code in %s", loc)
	}
	return code, verifier
}

// tokensFor runs a whole flow and the code exchange.
func (h *harness) tokensFor(a *agent, c testClient) map[string]any {
	h.t.Helper()
	code, verifier := h.codeFor(a, c, nil, noPages)
	resp, body := h.token(c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {c.redirect}, "code_verifier": {verifier}})
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("code exchange: %d %v", resp.StatusCode, body)
	}
	return body
}

func (h *harness) refresh(c testClient, rt string) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.token(c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func (h *harness) introspect(token string) map[string]any {
	h.t.Helper()
	resp, body := h.postForm("/oauth2/introspect", url.Values{"token": {token}}, svcClient.id, svcClient.secret)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("introspect: %d %v", resp.StatusCode, body)
	}
	return body
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func wantOAuthError(t testing.TB, what string, resp *http.Response, body map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || str(body, "error") != code {
		t.Fatalf("%s: got %d %v, want %d %s", what, resp.StatusCode, body, status, code)
	}
}
