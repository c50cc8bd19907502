package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// scimEnv is a real provider (provider.New) over a real backend, with an
// organization whose SCIM token a directory (Okta, Entra ID) uses, and a
// first-party app that signs people in with x/oauth2.
type scimEnv struct {
	t     *testing.T
	p     *Provider
	store storage.Store
	cfg   Config
	org   string
	token string
	base  string
}

func newScimEnv(t *testing.T, backend string) *scimEnv {
	t.Helper()
	var st storage.Store
	switch backend {
	case "sqlite":
		st = sqlitetest.Open(t)
	case "postgres":
		pg, err := postgres.Open(t.Context(), pgtest.DSN(t))
		must(t, err)
		t.Cleanup(func() { _ = pg.Close() })
		_, err = pg.Migrate(t.Context())
		must(t, err)
		st = pg
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg := DefaultConfig()
	cfg.Issuer, cfg.Secrets = "http://"+srv.Listener.Addr().String(), [][]byte{bytes.Repeat([]byte("p"), 32)}
	p, err := New(t.Context(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	must(t, err)
	t.Cleanup(p.Close)
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := t.Context()
	op := accounts.Actor{ID: accounts.SystemActor}
	org, err := p.Services.Orgs.Create(ctx, op, "Acme "+backend)
	must(t, err)
	token, err := p.Services.Provisioning.CreateToken(ctx, op, org.ID)
	must(t, err)
	now := time.Now()
	must(t, st.CreateClient(ctx, storage.Client{ID: "app", Name: "App", Public: true, FirstParty: true,
		RedirectURIs: []string{flowRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid", "email", "offline_access"}, TokenEndpointAuthMethod: "none", CreatedAt: now}))
	return &scimEnv{t: t, p: p, store: st, cfg: cfg, org: org.ID, token: token, base: cfg.Issuer + "/scim/v2/" + org.ID}
}

// scim sends one SCIM request as the directory does and returns the
// status, the decoded body and the response.
func (e *scimEnv) scim(method, path, body string, header ...string) (int, map[string]any, *http.Response) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	must(e.t, err)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", "application/scim+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			e.t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return resp.StatusCode, m, resp
}

// want fails unless the status is code.
func (e *scimEnv) want(what string, code int, m map[string]any, want int) {
	e.t.Helper()
	if code != want {
		b, _ := json.Marshal(m)
		e.t.Fatalf("%s: %d %s, want %d", what, code, b, want)
	}
}

// setPassword gives a provisioned user a password, as a reset link would,
// so the test signs them in through the login page.
func (e *scimEnv) setPassword(userID, pw string) {
	e.t.Helper()
	hash, err := password.Hash(pw)
	must(e.t, err)
	must(e.t, e.store.UpdateUser(e.t.Context(), userID, func(u storage.User) (storage.User, error) {
		u.PasswordHash = hash
		return u, nil
	}))
}

// oauthConfig is the app as x/oauth2 sees it.
func (e *scimEnv) oauthConfig() *oauth2.Config {
	return &oauth2.Config{ClientID: "app", RedirectURL: flowRedirect, Scopes: []string{"openid", "email", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: e.cfg.Issuer + "/oauth2/authorize", TokenURL: e.cfg.Issuer + "/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams}}
}

// signIn signs email in through the login page in a fresh browser and
// exchanges the code with x/oauth2. It returns nil, with the login page's
// status, when sign-in is refused.
func (e *scimEnv) signIn(email, pw string) (*oauth2.Token, int) {
	e.t.Helper()
	return e.signInTo(email, pw, e.org)
}

// signInTo is signIn choosing org on the organization picker when it asks.
func (e *scimEnv) signInTo(email, pw, org string) (*oauth2.Token, int) {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	conf := e.oauthConfig()
	verifier := oauth2.GenerateVerifier()
	get := func(u string) *http.Response {
		if !strings.HasPrefix(u, "http") {
			u = e.cfg.Issuer + u
		}
		resp, err := browser.Get(u)
		must(e.t, err)
		resp.Body.Close()
		return resp
	}
	resp := get(conf.AuthCodeURL("st4te-value", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n0nce-value")))
	login := resp.Header.Get("Location")
	if !strings.HasPrefix(login, "/login?request=") {
		e.t.Fatalf("authorize: %d to %q", resp.StatusCode, login)
	}
	// post submits the form of the page at path with its CSRF token.
	post := func(path string, form url.Values) *http.Response {
		page, err := browser.Get(e.cfg.Issuer + path)
		must(e.t, err)
		html, _ := io.ReadAll(page.Body)
		page.Body.Close()
		csrf := csrfPattern.FindStringSubmatch(string(html))
		if csrf == nil {
			e.t.Fatalf("%s without a CSRF token: %d", path, page.StatusCode)
		}
		form.Set("csrf_token", csrf[1])
		resp, err := browser.PostForm(e.cfg.Issuer+path, form)
		must(e.t, err)
		resp.Body.Close()
		return resp
	}
	resp = post(login, url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	next := resp.Header.Get("Location")
	if !strings.HasPrefix(next, "/oauth2/authorize/resume") {
		return nil, resp.StatusCode
	}
	for i := 0; i < 5 && !strings.HasPrefix(next, flowRedirect); i++ {
		if strings.HasPrefix(next, "/organization?") {
			resp = post(next, url.Values{"org_id": {org}})
			if next = resp.Header.Get("Location"); !strings.HasPrefix(next, "/oauth2/authorize/resume") {
				return nil, resp.StatusCode
			}
			continue
		}
		resp = get(next)
		next = resp.Header.Get("Location")
	}
	u, err := url.Parse(next)
	must(e.t, err)
	code := u.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code: %d %q", resp.StatusCode, next)
	}
	tok, err := conf.Exchange(e.t.Context(), code, oauth2.VerifierOption(verifier))
	must(e.t, err)
	if tok.RefreshToken == "" {
		e.t.Fatal("no refresh token")
	}
	return tok, http.StatusFound
}

// refresh refreshes tok as x/oauth2 does once the access token expired.
func (e *scimEnv) refresh(tok *oauth2.Token) error {
	_, err := e.refreshed(tok)
	return err
}

func (e *scimEnv) refreshed(tok *oauth2.Token) (*oauth2.Token, error) {
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	return e.oauthConfig().TokenSource(context.Background(), &expired).Token()
}

// liveToken signs in and refreshes once, so the refresh token it returns
// is known to work until something ends it.
func (e *scimEnv) liveToken(email, pw, org string) *oauth2.Token {
	e.t.Helper()
	tok, _ := e.signInTo(email, pw, org)
	if tok == nil {
		e.t.Fatalf("%s cannot sign in", email)
	}
	next, err := e.refreshed(tok)
	if err != nil {
		e.t.Fatalf("refresh before deactivation: %v", err)
	}
	return next
}

// deactivatedPersonIsLockedOut checks, right after the deactivating
// request, that the person can neither sign in nor refresh a token they
// obtained before.
func (e *scimEnv) deactivatedPersonIsLockedOut(email, pw string, before *oauth2.Token) {
	e.t.Helper()
	if err := e.refresh(before); err == nil {
		e.t.Error("a refresh token obtained before deactivation still refreshes")
	} else if re, ok := err.(*oauth2.RetrieveError); !ok || re.ErrorCode != "invalid_grant" {
		e.t.Errorf("refresh after deactivation: %v, want invalid_grant", err)
	}
	if tok, status := e.signIn(email, pw); tok != nil {
		e.t.Error("a deactivated person signed in")
	} else if status == http.StatusFound || status >= 500 {
		e.t.Errorf("sign-in of a deactivated person: %d", status)
	}
}

// orgOf is the org_id claim of the token's access token (an RFC 9068 JWT).
func orgOf(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var claims struct {
		OrgID string `json:"org_id"`
	}
	must(t, json.Unmarshal(b, &claims))
	return claims.OrgID
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func forEachBackend(t *testing.T, run func(t *testing.T, e *scimEnv)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			run(t, newScimEnv(t, backend))
		})
	}
}

// TestScimOktaSequence drives the requests Okta's SCIM 2.0 client sends,
// with the payloads of Okta's SCIM 2.0 protocol reference: look the user
// up by userName, create, read, deactivate with PATCH replace of active
// (no path), reactivate, delete (RFC 7644 §3.3, §3.4.2.2, §3.5.2, §3.6).
func TestScimOktaSequence(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *scimEnv) {
		const user = "test.user@okta.local"
		filter := "/Users?filter=" + url.QueryEscape(`userName eq "`+user+`"`) + "&startIndex=1&count=100"
		code, m, _ := e.scim("GET", filter, "")
		e.want("GET by filter (none)", code, m, 200)
		if m["totalResults"] != 0.0 || len(m["Resources"].([]any)) != 0 {
			t.Fatalf("filter before create: %v", m)
		}
		code, m, resp := e.scim("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},
			"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User",
			"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`)
		e.want("POST /Users", code, m, 201)
		id, _ := m["id"].(string)
		meta := m["meta"].(map[string]any)
		if m["userName"] != user || m["active"] != true || m["externalId"] != "00ujl29u0le5T6Aj10h7" ||
			m["name"].(map[string]any)["givenName"] != "Test" || meta["resourceType"] != "User" ||
			meta["location"] != e.base+"/Users/"+id || resp.Header.Get("Location") != meta["location"] ||
			resp.Header.Get("ETag") != meta["version"] || meta["created"] == nil || meta["lastModified"] == nil {
			t.Fatalf("created: %v %v", m, resp.Header)
		}
		// The person is a member with the default role, marked as SCIM's.
		ms, err := e.store.GetMembership(t.Context(), e.org, id)
		must(t, err)
		if ms.Role != accounts.RoleMember {
			t.Errorf("role %q", ms.Role)
		}
		rec, err := e.store.GetScimUser(t.Context(), e.org, id)
		must(t, err)
		if !rec.Provisioned {
			t.Error("a user SCIM created is not marked provisioned")
		}
		code, m, _ = e.scim("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Test.User@okta.local"}`)
		e.want("POST /Users again", code, m, 409)
		if m["scimType"] != "uniqueness" || m["status"] != "409" {
			t.Errorf("duplicate: %v", m)
		}

		code, m, _ = e.scim("GET", filter, "")
		e.want("GET by filter", code, m, 200)
		if m["totalResults"] != 1.0 || m["Resources"].([]any)[0].(map[string]any)["id"] != id {
			t.Fatalf("filter after create: %v", m)
		}
		code, m, resp = e.scim("GET", "/Users/"+id, "")
		e.want("GET /Users/id", code, m, 200)
		etag := resp.Header.Get("ETag")
		code, _, _ = e.scim("GET", "/Users/"+id, "", "If-None-Match", etag)
		if code != http.StatusNotModified {
			t.Errorf("If-None-Match with the current version: %d, want 304", code)
		}

		// Okta's profile push is a PUT of the whole user (RFC 7644 §3.5.1),
		// with the version it read.
		code, m, resp = e.scim("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`",
			"userName":"test.user@okta.local","name":{"givenName":"Another","familyName":"User"},
			"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Another User",
			"externalId":"00ujl29u0le5T6Aj10h7","active":true}`, "If-Match", etag)
		e.want("PUT /Users/id", code, m, 200)
		if m["name"].(map[string]any)["givenName"] != "Another" || m["displayName"] != "Another User" || resp.Header.Get("ETag") == etag {
			t.Errorf("after PUT: %v (ETag %s)", m, resp.Header.Get("ETag"))
		}
		code, m, _ = e.scim("PUT", "/Users/"+id, `{"userName":"test.user@okta.local"}`, "If-Match", etag)
		e.want("PUT with the old version", code, m, 412)

		// The person sets a password (a reset link) and signs in to the app.
		e.setPassword(id, "okta-user-password-long")
		before := e.liveToken(user, "okta-user-password-long", e.org)

		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":false}}]}`, "If-Match", `W/"stale"`)
		e.want("PATCH with a stale If-Match", code, m, 412)
		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":false}}]}`)
		e.want("PATCH active false", code, m, 200)
		if m["active"] != false {
			t.Fatalf("after deactivation: %v", m)
		}
		e.deactivatedPersonIsLockedOut(user, "okta-user-password-long", before)

		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":true}}]}`)
		e.want("PATCH active true", code, m, 200)
		if m["active"] != true {
			t.Fatalf("after reactivation: %v", m)
		}
		if tok, _ := e.signIn(user, "okta-user-password-long"); tok == nil {
			t.Error("the reactivated person cannot sign in")
		}

		code, m, _ = e.scim("DELETE", "/Users/"+id, "")
		e.want("DELETE", code, m, 204)
		code, m, _ = e.scim("GET", "/Users/"+id, "")
		e.want("GET after DELETE", code, m, 404)
		if _, err := e.store.GetMembership(t.Context(), e.org, id); err == nil {
			t.Error("the membership survived DELETE")
		}
		u, err := e.store.GetUser(t.Context(), id)
		must(t, err)
		if !u.Disabled {
			t.Error("a person SCIM created, in no other organization, is not deactivated by DELETE")
		}
		// Every change is audited, with the organization and the SCIM actor.
		events, err := e.store.ListAudit(t.Context(), storage.AuditFilter{SubjectID: id, Limit: 1000})
		must(t, err)
		seen := map[string]int{}
		for _, ev := range events {
			if strings.HasPrefix(ev.Type, "scim.") && (ev.OrgID != e.org || ev.ActorID != accounts.ScimActor(e.org)) {
				t.Errorf("%s: org %q actor %q", ev.Type, ev.OrgID, ev.ActorID)
			}
			seen[ev.Type]++
		}
		for typ, n := range map[string]int{"scim.user_created": 1, "scim.user_updated": 1, "scim.user_deactivated": 1,
			"scim.user_reactivated": 1, "scim.user_deleted": 1, "user.disabled": 2, "user.enabled": 1, "member.added": 1, "member.removed": 1} {
			if seen[typ] != n {
				t.Errorf("%d %s events, want %d (all: %v)", seen[typ], typ, n, seen)
			}
		}
	})
}

// TestScimEntraSequence drives the requests of Entra ID's SCIM validator
// and provisioning service: look up by userName (a random one first),
// create with the enterprise extension, look up by externalId and by
// emails, PATCH with capitalised ops ("Replace", "Add"), a value path
// filter (emails[type eq "work"].value), sub-attribute paths
// (name.givenName) and string booleans ("False"), then deactivate the
// same way and delete.
func TestScimEntraSequence(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *scimEnv) {
		const user = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@example.com"
		code, m, _ := e.scim("GET", "/Users?filter="+url.QueryEscape(`userName eq "Test_User_00000000-0000-0000-0000-000000000000@example.com"`), "")
		e.want("GET by a random userName", code, m, 200)
		if m["totalResults"] != 0.0 {
			t.Fatalf("random filter: %v", m)
		}
		code, m, _ = e.scim("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"`+user+`","active":true,
			"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@example.com"}],
			"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
			"roles":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`)
		e.want("POST /Users", code, m, 201)
		id := m["id"].(string)
		if m["userName"] != strings.ToLower(user) || m["displayName"] != "givenName familyName" {
			t.Errorf("created: %v", m)
		}
		for _, f := range []string{
			`userName eq "` + user + `"`,
			`userName eq "` + strings.ToUpper(user) + `"`, // userName is caseExact false (RFC 7643 §4.1.1)
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			`emails eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@example.com"`,
			`emails[type eq "work" and value eq "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@example.com"]`,
		} {
			code, m, _ = e.scim("GET", "/Users?filter="+url.QueryEscape(f)+"&excludedAttributes=groups", "")
			e.want("filter "+f, code, m, 200)
			if m["totalResults"] != 1.0 || m["Resources"].([]any)[0].(map[string]any)["id"] != id {
				t.Errorf("filter %s: %v", f, m)
			}
		}
		code, m, _ = e.scim("GET", "/Users?filter="+url.QueryEscape(`externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"`), "")
		if code != 200 || m["totalResults"] != 0.0 {
			t.Errorf("externalId is caseExact: %d %v", code, m)
		}

		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
			{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
			{"op":"Add","path":"name.givenName","value":"updatedGivenName"},
			{"op":"Add","value":{"displayName":"updatedDisplayName","name.formatted":"x"}},
			{"op":"Replace","path":"externalId","value":"1b32e1e3-0000-4f8e-bf98-7363c4aed4ef"},
			{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Marketing"}]}`)
		e.want("PATCH (Entra)", code, m, 200)
		name := m["name"].(map[string]any)
		email := m["emails"].([]any)[0].(map[string]any)
		if name["familyName"] != "updatedFamilyName" || name["givenName"] != "updatedGivenName" ||
			email["value"] != "updatedEmail@microsoft.com" || email["type"] != "work" ||
			m["externalId"] != "1b32e1e3-0000-4f8e-bf98-7363c4aed4ef" || m["displayName"] != "updatedDisplayName" || m["active"] != true {
			t.Errorf("after PATCH: %v", m)
		}
		code, m, _ = e.scim("GET", "/Users?filter="+url.QueryEscape(`emails eq "updatedemail@microsoft.com"`), "")
		if code != 200 || m["totalResults"] != 1.0 {
			t.Errorf("filter by the patched email: %d %v", code, m)
		}

		e.setPassword(id, "entra-user-password-long")
		before := e.liveToken(user, "entra-user-password-long", e.org)
		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
		e.want("PATCH active \"False\"", code, m, 200)
		if m["active"] != false {
			t.Fatalf("after deactivation: %v", m)
		}
		e.deactivatedPersonIsLockedOut(user, "entra-user-password-long", before)
		code, m, _ = e.scim("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"active","value":"True"}]}`)
		e.want("PATCH active \"True\"", code, m, 200)
		if m["active"] != true {
			t.Fatalf("after reactivation: %v", m)
		}
		code, m, _ = e.scim("DELETE", "/Users/"+id, "")
		e.want("DELETE", code, m, 204)
		code, m, _ = e.scim("DELETE", "/Users/"+id, "")
		e.want("DELETE again", code, m, 404)
	})
}

// TestScimExistingMember: a member SCIM did not create, who belongs to
// another organization too, is found by userName (POST is a conflict);
// deactivation removes the membership (its tokens for the organization end
// at once) but keeps the account; reactivation gives the role back;
// moving them between Groups changes the role.
func TestScimExistingMember(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *scimEnv) {
		ctx := t.Context()
		op := accounts.Actor{ID: accounts.SystemActor}
		u, err := e.p.Services.Users.CreateUser(ctx, accounts.NewUser{Email: "bea@example.com", Password: "bea-password-long", Verified: true})
		must(t, err)
		other, err := e.p.Services.Orgs.Create(ctx, op, "Other")
		must(t, err)
		must(t, e.p.Services.Orgs.AddMember(ctx, op, e.org, u.ID, accounts.RoleAdmin))
		must(t, e.p.Services.Orgs.AddMember(ctx, op, other.ID, u.ID, accounts.RoleMember))

		code, m, _ := e.scim("GET", "/Users?filter="+url.QueryEscape(`userName eq "BEA@example.com"`), "")
		e.want("filter", code, m, 200)
		if m["totalResults"] != 1.0 {
			t.Fatalf("an existing member is not found: %v", m)
		}
		code, m, _ = e.scim("POST", "/Users", `{"userName":"bea@example.com"}`)
		e.want("POST an existing member", code, m, 409)

		code, m, _ = e.scim("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "admin"`)+"&excludedAttributes=members", "")
		e.want("Groups by displayName", code, m, 200)
		g := m["Resources"].([]any)[0].(map[string]any)
		if m["totalResults"] != 1.0 || g["id"] != "admin" || g["members"] != nil {
			t.Errorf("group: %v", m)
		}
		// Entra ID moves the member to another group (role).
		code, m, _ = e.scim("PATCH", "/Groups/member", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Add","path":"members","value":[{"value":"`+u.ID+`"}]}]}`)
		e.want("PATCH Group add", code, m, 200)
		if ms, _ := e.store.GetMembership(ctx, e.org, u.ID); ms.Role != accounts.RoleMember {
			t.Errorf("role after joining the member group: %q", ms.Role)
		}
		must(t, e.p.Services.Orgs.DefineRole(ctx, op, e.org, "billing", ""))
		code, m, _ = e.scim("PATCH", "/Groups/billing", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"`+u.ID+`","display":"bea@example.com"}]}]}`)
		e.want("PATCH Group add (Okta)", code, m, 200)
		if len(m["members"].([]any)) != 1 {
			t.Errorf("billing group: %v", m)
		}
		// Okta removes with a value path; the member gets the default role back.
		code, m, _ = e.scim("PATCH", "/Groups/billing", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"members[value eq \"`+u.ID+`\"]"}]}`)
		e.want("PATCH Group remove", code, m, 200)
		if ms, _ := e.store.GetMembership(ctx, e.org, u.ID); ms.Role != accounts.RoleMember {
			t.Errorf("role after leaving billing: %q", ms.Role)
		}
		// Entra ID adds and removes with the value list.
		for _, c := range []struct{ op, want string }{{"Add", "billing"}, {"Remove", accounts.RoleMember}} {
			code, m, _ = e.scim("PATCH", "/Groups/billing", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"`+c.op+`","path":"members","value":[{"value":"`+u.ID+`"}]}]}`)
			e.want("PATCH Group "+c.op+" (Entra)", code, m, 200)
			if ms, _ := e.store.GetMembership(ctx, e.org, u.ID); ms.Role != c.want {
				t.Errorf("role after Entra's %s: %q, want %q", c.op, ms.Role, c.want)
			}
		}
		code, m, _ = e.scim("PATCH", "/Groups/owner", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"`+u.ID+`"}]}]}`)
		e.want("PATCH Group owner", code, m, 403)
		// SCIM acts as an admin: an owner is not its to deactivate or remove.
		boss, err := e.p.Services.Users.CreateUser(ctx, accounts.NewUser{Email: "boss@example.com", Password: "boss-password-long", Verified: true})
		must(t, err)
		must(t, e.p.Services.Orgs.AddMember(ctx, op, e.org, boss.ID, accounts.RoleOwner))
		code, m, _ = e.scim("PATCH", "/Users/"+boss.ID, `{"Operations":[{"op":"replace","path":"active","value":false}]}`)
		e.want("deactivate an owner", code, m, 403)
		code, m, _ = e.scim("DELETE", "/Users/"+boss.ID, "")
		e.want("delete an owner", code, m, 403)
		if ms, err := e.store.GetMembership(ctx, e.org, boss.ID); err != nil || ms.Role != accounts.RoleOwner {
			t.Errorf("owner after refused SCIM changes: %v %v", ms, err)
		}

		before := e.liveToken("bea@example.com", "bea-password-long", e.org)
		if orgOf(t, before) != e.org {
			t.Fatal("bea's token is not for the organization")
		}
		code, m, _ = e.scim("PATCH", "/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":false}]}`)
		e.want("deactivate", code, m, 200)
		// The very next requests: the organization's refresh token is dead,
		// and signing in to the organization is refused; the other
		// organization still works.
		if err := e.refresh(before); err == nil {
			t.Error("a refresh token for the organization still refreshes after deactivation")
		}
		if tok, _ := e.signInTo("bea@example.com", "bea-password-long", e.org); tok != nil && orgOf(t, tok) == e.org {
			t.Error("signed in to the organization after deactivation")
		}
		if tok, _ := e.signInTo("bea@example.com", "bea-password-long", other.ID); tok == nil || orgOf(t, tok) != other.ID {
			t.Error("deactivation in one organization blocked the other")
		}
		if _, err := e.store.GetMembership(ctx, e.org, u.ID); err == nil {
			t.Error("deactivation kept the membership of a person in another organization")
		}
		acct, err := e.store.GetUser(ctx, u.ID)
		must(t, err)
		if acct.Disabled {
			t.Error("deactivation in one organization disabled an account that belongs to another")
		}
		code, m, _ = e.scim("GET", "/Users/"+u.ID, "")
		if code != 200 || m["active"] != false {
			t.Errorf("deactivated member: %d %v", code, m)
		}
		code, m, _ = e.scim("PATCH", "/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"userName","value":"other@example.com"}]}`)
		if code != 400 || m["scimType"] != "mutability" {
			t.Errorf("changing the address of an account the organization does not own: %d %v", code, m)
		}
		code, m, _ = e.scim("PATCH", "/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":true}]}`)
		e.want("reactivate", code, m, 200)
		if ms, err := e.store.GetMembership(ctx, e.org, u.ID); err != nil || ms.Role != accounts.RoleMember {
			t.Errorf("membership after reactivation: %v %v", ms, err)
		}
		code, m, _ = e.scim("DELETE", "/Users/"+u.ID, "")
		e.want("DELETE", code, m, 204)
		acct, err = e.store.GetUser(ctx, u.ID)
		must(t, err)
		if acct.Disabled {
			t.Error("DELETE disabled an account SCIM did not create")
		}
	})
}

// TestScimRefusals: the RFC 7644 §3.12 error body for a wrong or missing
// token (with WWW-Authenticate: Bearer), another organization's token, a
// revoked token, an unknown filter, a bad PATCH, a body too large; and the
// discovery documents say what the service does.
func TestScimRefusals(t *testing.T) {
	t.Parallel()
	e := newScimEnv(t, "sqlite")
	isError := func(what string, m map[string]any, status, scimType string) {
		t.Helper()
		schemas, _ := m["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || m["status"] != status ||
			(scimType != "" && m["scimType"] != scimType) || m["detail"] == nil {
			t.Errorf("%s: %v, want status %q scimType %q", what, m, status, scimType)
		}
	}
	good := e.token
	for name, tok := range map[string]string{"missing": "", "wrong": "ostscim_wrong", "other org's": "x"} {
		e.token = tok
		if name == "other org's" {
			other, err := e.p.Services.Orgs.Create(t.Context(), accounts.Actor{ID: accounts.SystemActor}, "Other")
			must(t, err)
			e.token, err = e.p.Services.Provisioning.CreateToken(t.Context(), accounts.Actor{ID: accounts.SystemActor}, other.ID)
			must(t, err)
		}
		code, m, resp := e.scim("GET", "/Users", "")
		if code != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s token: %d %q", name, code, resp.Header.Get("WWW-Authenticate"))
		}
		isError(name+" token", m, "401", "")
	}
	e.token = good
	for _, c := range []struct{ method, path, body, status, scimType string }{
		{"GET", "/Users?filter=" + url.QueryEscape(`title eq "x"`), "", "400", "invalidFilter"},
		{"GET", "/Users?filter=" + url.QueryEscape(`userName eq`), "", "400", "invalidFilter"},
		{"GET", "/Users?filter=" + url.QueryEscape(`userName xx "a"`), "", "400", "invalidFilter"},
		{"GET", "/Users/nope", "", "404", ""},
		{"POST", "/Users", `{"userName":"not an address"}`, "400", "invalidValue"},
		{"POST", "/Users", `{"userName":"a@example.com","active":"maybe"}`, "400", "invalidValue"},
		{"POST", "/Users", `[1,2]`, "400", "invalidSyntax"},
		{"POST", "/Users", `{"userName":`, "400", "invalidSyntax"},
		{"POST", "/Users", `{"userName":"a@example.com","x":"` + strings.Repeat("a", 70<<10) + `"}`, "413", ""},
		{"PATCH", "/Groups/member", `{"Operations":[{"op":"move","path":"members"}]}`, "400", "invalidSyntax"},
		{"PATCH", "/Groups/member", `{"Operations":[{"op":"remove"}]}`, "400", "noTarget"},
		{"PATCH", "/Groups/member", `{"Operations":[{"op":"replace","path":"members[value eq","value":1}]}`, "400", "invalidPath"},
		{"PATCH", "/Groups/member", `{"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`, "400", "mutability"},
		{"DELETE", "/Groups/member", "", "400", "mutability"},
		{"POST", "/Bulk", `{}`, "404", ""},
		{"PUT", "/ServiceProviderConfig", `{}`, "405", ""},
	} {
		code, m, _ := e.scim(c.method, c.path, c.body)
		if strconv.Itoa(code) != c.status {
			t.Errorf("%s %s: %d, want %s", c.method, c.path, code, c.status)
		}
		isError(c.method+" "+c.path, m, c.status, c.scimType)
	}

	code, m, _ := e.scim("GET", "/ServiceProviderConfig", "")
	e.want("ServiceProviderConfig", code, m, 200)
	feature := func(k string) map[string]any { return m[k].(map[string]any) }
	if feature("patch")["supported"] != true || feature("filter")["supported"] != true || feature("filter")["maxResults"] != 200.0 ||
		feature("etag")["supported"] != true || feature("bulk")["supported"] != false ||
		feature("changePassword")["supported"] != false || feature("sort")["supported"] != false {
		t.Errorf("ServiceProviderConfig: %v", m)
	}
	code, m, _ = e.scim("GET", "/ResourceTypes", "")
	if code != 200 || m["totalResults"] != 2.0 {
		t.Errorf("ResourceTypes: %d %v", code, m)
	}
	code, m, _ = e.scim("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "")
	if code != 200 || m["id"] != "urn:ietf:params:scim:schemas:core:2.0:User" {
		t.Errorf("User schema: %d %v", code, m)
	}

	// Paging (RFC 7644 §3.4.2.4) over three users.
	for _, a := range []string{"p1@example.com", "p2@example.com", "p3@example.com"} {
		code, m, _ := e.scim("POST", "/Users", `{"userName":"`+a+`"}`)
		e.want("POST "+a, code, m, 201)
	}
	code, m, _ = e.scim("GET", "/Users?startIndex=2&count=1", "")
	if code != 200 || m["totalResults"] != 3.0 || m["itemsPerPage"] != 1.0 || m["startIndex"] != 2.0 ||
		m["Resources"].([]any)[0].(map[string]any)["userName"] != "p2@example.com" {
		t.Errorf("page: %d %v", code, m)
	}
	code, m, _ = e.scim("GET", "/Users?startIndex=0&count=-1", "")
	if code != 200 || m["itemsPerPage"] != 0.0 || m["startIndex"] != 1.0 {
		t.Errorf("page out of range: %d %v", code, m)
	}

	// A revoked token stops at once.
	must(t, e.p.Services.Provisioning.RevokeToken(t.Context(), accounts.Actor{ID: accounts.SystemActor}, e.org))
	code, m, _ = e.scim("GET", "/Users", "")
	if code != 401 {
		t.Errorf("revoked token: %d", code)
	}
	isError("revoked token", m, "401", "")
}
