package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/adminapi"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/account"
	"github.com/ostiary/ostiary/provider/web/admin"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/storage"
)

// fakeKeys is a key ring that counts rotations; the real manager is
// driven by the e2e tests.
type fakeKeys struct {
	mu   sync.Mutex
	list []keys.KeyInfo
}

func (k *fakeKeys) List(context.Context) ([]keys.KeyInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]keys.KeyInfo(nil), k.list...), nil
}

func (k *fakeKeys) RotateAll(ctx context.Context) ([]storage.SigningKey, error) {
	key, err := k.Rotate(ctx)
	return []storage.SigningKey{key}, err
}

func (k *fakeKeys) Rotate(context.Context) (storage.SigningKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id := fmt.Sprintf("key-%d", len(k.list))
	k.list = append([]keys.KeyInfo{{ID: id, Algorithm: "RS256", State: keys.StateNext}}, k.list...)
	return storage.SigningKey{ID: id}, nil
}

func (k *fakeKeys) Revoke(context.Context, string) (keys.Revoked, error) {
	return keys.Revoked{}, keys.ErrUnknownKey
}

type adminHarness struct {
	*webtest.Env
	pages *admin.Pages
	keys  *fakeKeys
	admin storage.User
}

// newAdminHarness serves the admin pages and the login and home pages the
// tests pass through; admin@example.com is an instance administrator.
func newAdminHarness(t *testing.T) *adminHarness {
	t.Helper()
	h := webtest.New(t)
	orgs := &accounts.Organizations{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	users := &accounts.Users{Store: h.Store, Audit: h.Store, Notifier: h.Notified, Now: h.Clock.Now}
	flows := &signin.Flows{Site: h.Site(), Store: h.Store}
	home, err := account.New(account.Pages{Site: h.Site(), Store: h.Store, Throttle: h.Limiter(), Notifier: h.Notified,
		Users: users, Tokens: &pat.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}, Requests: flows})
	if err != nil {
		t.Fatal(err)
	}
	login, err := signin.New(signin.Pages{Site: h.Site(), Flows: flows, Store: h.Store, Throttle: h.Limiter()})
	if err != nil {
		t.Fatal(err)
	}
	fk := &fakeKeys{list: []keys.KeyInfo{{ID: "key-0", Algorithm: "RS256", State: keys.StateSigning}}}
	passkeys := &passkey.Service{Store: h.Store, Audit: h.Store, Now: h.Clock.Now}
	ops := &adminapi.Service{Store: h.Store, Keys: fk, Orgs: orgs, Users: users, Audit: h.Store, Now: h.Clock.Now,
		MFA: noTOTP{}, Passkeys: passkeys}
	pages := &admin.Pages{Site: h.Site(), Store: h.Store, Keys: fk, Ops: ops, Users: users, Passkeys: passkeys}
	h.Mount(pages.Routes(), login.Routes(), home.Routes())
	u := h.User("root", "admin@example.com", "correct horse battery")
	if err := h.Store.UpdateUser(h.Ctx(), u.ID, func(u storage.User) (storage.User, error) { u.Admin = true; return u, nil }); err != nil {
		t.Fatal(err)
	}
	u.Admin = true
	return &adminHarness{Env: h, pages: pages, keys: fk, admin: u}
}

func (h *adminHarness) signedInAdmin() *webtest.Agent {
	a := h.Browser()
	a.SignIn("admin@example.com", "correct horse battery")
	return a
}

func (h *adminHarness) clientCount() int {
	h.T.Helper()
	cs, err := h.Store.ListClients(h.Ctx())
	if err != nil {
		h.T.Fatal(err)
	}
	return len(cs)
}

func TestAdminOnlyForInstanceAdmins(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	anon := h.Browser()
	webtest.WantRedirect(t, anon.Get("/admin/clients"), "/login?return_to=%2Fadmin%2Fclients")

	h.User("pat", "pat@example.com", "correct horse battery")
	pat := h.Browser()
	pat.SignIn("pat@example.com", "correct horse battery")
	for _, path := range []string{"/admin", "/admin/clients", "/admin/clients/new", "/admin/users", "/admin/organizations", "/admin/keys", "/admin/audit"} {
		w := pat.Get(path)
		webtest.WantStatus(t, w, http.StatusForbidden)
		if !strings.Contains(w.Body.String(), "Administrators only") {
			t.Fatalf("%s: no 403 page:\n%s", path, w.Body)
		}
	}
	if strings.Contains(pat.Get("/").Body.String(), "/admin") {
		t.Fatal("the home page links a non-admin to the admin pages")
	}
	adm := h.signedInAdmin()
	if !strings.Contains(adm.Get("/").Body.String(), `href="/admin"`) {
		t.Fatal("the home page does not link an admin to the admin pages")
	}
	w := adm.Get("/admin")
	webtest.WantStatus(t, w, http.StatusOK)
	for _, want := range []string{"key-0", "Users", "Clients", "login.success"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Fatalf("dashboard lacks %q:\n%s", want, w.Body)
		}
	}
}

func TestAdminFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	c := h.Client(storage.Client{ID: "app", Name: "App", GrantTypes: []string{"client_credentials"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: "client_secret_basic", SecretHash: randtoken.Hash("old-secret")})
	victim := h.User("vic", "vic@example.com", "correct horse battery")
	a := h.signedInAdmin()
	a.Get("/admin")
	forms := []struct {
		path string
		form url.Values
	}{
		{"/admin/clients/new", url.Values{"name": {"Evil"}, "kind": {"confidential"}, "auth_method": {"client_secret_basic"}, "grant_types": {"client_credentials"}}},
		{"/admin/clients/app", url.Values{"action": {"rotate_secret"}}},
		{"/admin/clients/app", url.Values{"action": {"delete"}, "confirm": {"App"}}},
		{"/admin/users/vic", url.Values{"action": {"disable"}}},
		{"/admin/users/vic", url.Values{"action": {"end_sessions"}}},
		{"/admin/users/vic", url.Values{"action": {"delete"}, "confirm": {"vic@example.com"}}},
		{"/admin/organizations", url.Values{"action": {"create"}, "name": {"Evil Corp"}}},
		{"/admin/keys", url.Values{"action": {"rotate"}}},
	}
	for _, f := range forms {
		for _, token := range []string{"", "forged-token"} {
			form := url.Values{}
			for k, v := range f.form {
				form[k] = v
			}
			form.Set("csrf_token", token)
			if token == "" {
				form.Del("csrf_token")
				w := a.Do(http.MethodPost, f.path, form) // do: no token filled in
				webtest.WantStatus(t, w, http.StatusForbidden)
				continue
			}
			w := a.Post(f.path, form)
			webtest.WantStatus(t, w, http.StatusForbidden)
			if !strings.Contains(w.Body.String(), "This form has expired") {
				t.Fatalf("%s %v: not the CSRF page:\n%s", f.path, f.form, w.Body)
			}
		}
	}
	// A cross-site POST with a valid token is refused too.
	a.Get("/admin/keys")
	a.Site = "cross-site"
	webtest.WantStatus(t, a.Post("/admin/keys", url.Values{"action": {"rotate"}}), http.StatusForbidden)

	got, err := h.Store.GetClient(h.Ctx(), c.ID)
	if err != nil || !randtoken.Equal(got.SecretHash, "old-secret") {
		t.Fatalf("client changed: %v", err)
	}
	if u, err := h.Store.GetUser(h.Ctx(), victim.ID); err != nil || u.Disabled {
		t.Fatalf("user changed: %+v %v", u, err)
	}
	if n := h.clientCount(); n != 1 {
		t.Fatalf("%d clients, want 1", n)
	}
	if orgs, _ := h.Store.ListOrgs(h.Ctx()); len(orgs) != 0 {
		t.Fatalf("organizations created: %v", orgs)
	}
	if ks, _ := h.keys.List(h.Ctx()); len(ks) != 1 {
		t.Fatalf("keys rotated: %v", ks)
	}
	for _, typ := range []string{"client.created", "client.secret_rotated", "client.deleted", "key.rotated", "user.disabled"} {
		if evs := h.Audits(typ); len(evs) != 0 {
			t.Fatalf("audited %s: %v", typ, evs)
		}
	}
}

func TestAdminClientBadRedirectURIRefused(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	for _, tc := range []struct{ uri, want string }{
		{"http://app.example.com/callback", "http is allowed only for loopback hosts"},
		{"https://app.example.com/callback#frag", "must not contain a fragment"},
		{"/callback", "must be absolute"},
	} {
		a.Get("/admin/clients/new")
		w := a.Post("/admin/clients/new", url.Values{"name": {"Shop"}, "kind": {"confidential"}, "auth_method": {"client_secret_basic"},
			"grant_types": {"authorization_code"}, "redirect_uris": {"https://ok.example.com/cb\n" + tc.uri}, "scopes": {"openid"}})
		webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
		body := w.Body.String()
		if !strings.Contains(body, "Nothing was saved") || !strings.Contains(body, tc.want) {
			t.Fatalf("%s: error not shown:\n%s", tc.uri, body)
		}
		// The form keeps what was typed.
		if !strings.Contains(body, "https://ok.example.com/cb") || !strings.Contains(body, `value="Shop"`) {
			t.Fatalf("%s: form not refilled", tc.uri)
		}
	}
	if n := h.clientCount(); n != 0 {
		t.Fatalf("%d clients stored, want none", n)
	}
	if evs := h.Audits("client.created"); len(evs) != 0 {
		t.Fatalf("audited a refused client: %v", evs)
	}
}

var secretOnPage = regexp.MustCompile(`<code class="secret" data-secret>([^<]+)</code>`)

func TestAdminClientSecretShownOnce(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	a.Get("/admin/clients/new")
	w := a.Post("/admin/clients/new", url.Values{"name": {"Billing"}, "kind": {"confidential"}, "auth_method": {"client_secret_post"},
		"grant_types": {"client_credentials"}, "scopes": {"api"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/clients/"), "?done=created")
	page := a.Get(loc)
	webtest.WantStatus(t, page, http.StatusOK)
	m := secretOnPage.FindStringSubmatch(page.Body.String())
	if m == nil {
		t.Fatalf("no secret on the page after creation:\n%s", page.Body)
	}
	c, err := h.Store.GetClient(h.Ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !randtoken.Equal(c.SecretHash, m[1]) || c.TokenEndpointAuthMethod != "client_secret_post" || c.Name != "Billing" {
		t.Fatalf("stored client does not match the form or the shown secret: %+v", c)
	}
	if cc := page.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if again := a.Get(loc); secretOnPage.MatchString(again.Body.String()) || strings.Contains(again.Body.String(), m[1]) {
		t.Fatal("the secret is shown again on reload")
	}
	if evs := h.Audits("client.created"); len(evs) != 1 || evs[0].ActorID != h.admin.ID || evs[0].ClientID != id {
		t.Fatalf("audit: %+v", evs)
	}

	// Rotation: a new secret, shown once, the old one stops matching.
	a.Post("/admin/clients/"+id, url.Values{"action": {"rotate_secret"}})
	page = a.Get("/admin/clients/" + id + "?done=secret_rotated")
	m2 := secretOnPage.FindStringSubmatch(page.Body.String())
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("no new secret shown:\n%s", page.Body)
	}
	c, _ = h.Store.GetClient(h.Ctx(), id)
	if !randtoken.Equal(c.SecretHash, m2[1]) || randtoken.Equal(c.SecretHash, m[1]) {
		t.Fatal("rotation did not replace the secret")
	}
	if evs := h.Audits("client.secret_rotated"); len(evs) != 1 {
		t.Fatalf("audit: %+v", evs)
	}

	// Delete needs the typed name.
	a.Get("/admin/clients/" + id)
	webtest.WantStatus(t, a.Post("/admin/clients/"+id, url.Values{"action": {"delete"}, "confirm": {"billing!"}}), http.StatusUnprocessableEntity)
	if h.clientCount() != 1 {
		t.Fatal("deleted without confirmation")
	}
	w = a.Post("/admin/clients/"+id, url.Values{"action": {"delete"}, "confirm": {"Billing"}})
	if w.Code != http.StatusSeeOther || h.clientCount() != 0 || len(h.Audits("client.deleted")) != 1 {
		t.Fatalf("delete: %d, %d clients\n%s", w.Code, h.clientCount(), h.Logs)
	}
}

func TestAdminAuditFilterAndPagination(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	base := h.Clock.Now().Add(-48 * time.Hour)
	for i := range 120 {
		typ := "token.issued"
		if i%2 == 0 {
			typ = "test.even"
		}
		e := storage.AuditEvent{ID: fmt.Sprintf("ev-%03d", i), Time: base.Add(time.Duration(i) * time.Minute), Type: typ,
			ActorID: "actor-x", SubjectID: fmt.Sprintf("subj-%d", i%3)}
		if err := h.Store.AppendAudit(h.Ctx(), e); err != nil {
			t.Fatal(err)
		}
	}
	a := h.signedInAdmin()
	re := regexp.MustCompile(`data-event="(ev-\d{3})"`)
	ids := func(body string) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	w := a.Get("/admin/audit?type=test.even")
	webtest.WantStatus(t, w, http.StatusOK)
	page1 := ids(w.Body.String())
	if len(page1) != 50 || page1[0] != "ev-118" || page1[49] != "ev-020" {
		t.Fatalf("first page: %d events, %v", len(page1), page1)
	}
	if strings.Contains(w.Body.String(), "token.issued") {
		t.Fatal("type filter let other events through")
	}
	older := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(w.Body.String())
	if older == nil {
		t.Fatal("no link to older events")
	}
	w = a.Get(strings.ReplaceAll(older[1], "&amp;", "&"))
	page2 := ids(w.Body.String())
	if len(page2) != 10 || page2[0] != "ev-018" || page2[9] != "ev-000" {
		t.Fatalf("second page: %v", page2)
	}
	if strings.Contains(w.Body.String(), `rel="next"`) {
		t.Fatal("a link past the last page")
	}
	// Subject and time range, in the form's datetime-local format (UTC).
	from := base.Add(30 * time.Minute).Format("2006-01-02T15:04")
	until := base.Add(40 * time.Minute).Format("2006-01-02T15:04")
	w = a.Get("/admin/audit?" + url.Values{"subject": {"subj-0"}, "actor": {"actor-x"}, "since": {from}, "until": {until}}.Encode())
	got := ids(w.Body.String())
	if strings.Join(got, ",") != "ev-039,ev-036,ev-033,ev-030" {
		t.Fatalf("subject and time filter: %v", got)
	}
	// Users are named by email, and may be filtered by it.
	w = a.Get("/admin/audit?" + url.Values{"actor": {"ADMIN@example.com"}}.Encode())
	if body := w.Body.String(); !strings.Contains(body, "login.success") || strings.Contains(body, "test.even") ||
		!strings.Contains(body, "admin@example.com<span class=\"row-sub\">root</span>") {
		t.Fatalf("actor by email:\n%s", body)
	}
	w = a.Get("/admin/audit?actor=nobody@example.com")
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if strings.Contains(w.Body.String(), "data-event=") {
		t.Fatal("an unknown email matched events")
	}
	w = a.Get("/admin/audit?since=yesterday")
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "enter a date and time") {
		t.Fatalf("bad time not explained:\n%s", w.Body)
	}
}

func TestAdminUserLifecycle(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	h.User("vic", "vic@example.com", "correct horse battery")
	vic := h.Browser()
	vic.SignIn("vic@example.com", "correct horse battery")
	a := h.signedInAdmin()
	w := a.Get("/admin/users?q=VIC@")
	if !strings.Contains(w.Body.String(), "vic@example.com") || strings.Contains(w.Body.String(), ">admin@example.com<") {
		t.Fatalf("search:\n%s", w.Body)
	}
	a.Get("/admin/users/vic")
	if w := a.Post("/admin/users/vic", url.Values{"action": {"disable"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", w.Code, w.Body)
	}
	if u, _ := h.Store.GetUser(h.Ctx(), "vic"); !u.Disabled {
		t.Fatal("not disabled")
	}
	if _, ok := vic.Session(); ok {
		t.Fatal("disabled person still signed in")
	}
	if evs := h.Audits("user.disabled"); len(evs) != 1 || evs[0].ActorID != "root" || evs[0].SubjectID != "vic" {
		t.Fatalf("audit: %+v", evs)
	}
	a.Get("/admin/users/vic")
	a.Post("/admin/users/vic", url.Values{"action": {"enable"}})
	if u, _ := h.Store.GetUser(h.Ctx(), "vic"); u.Disabled {
		t.Fatal("not enabled")
	}
	// An admin cannot lock themselves out here.
	a.Get("/admin/users/root")
	webtest.WantStatus(t, a.Post("/admin/users/root", url.Values{"action": {"disable"}}), http.StatusUnprocessableEntity)
	a.Get("/admin/users/vic")
	webtest.WantStatus(t, a.Post("/admin/users/vic", url.Values{"action": {"delete"}, "confirm": {"someone@example.com"}}), http.StatusUnprocessableEntity)
	w = a.Post("/admin/users/vic", url.Values{"action": {"delete"}, "confirm": {"vic@example.com"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", w.Code, w.Body)
	}
	if _, err := h.Store.GetUser(h.Ctx(), "vic"); err == nil {
		t.Fatal("not deleted")
	}
}

func TestAdminKeysAndOrganizations(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	w := a.Get("/admin/keys")
	if !strings.Contains(w.Body.String(), "Signing") {
		t.Fatalf("keys page:\n%s", w.Body)
	}
	if w := a.Post("/admin/keys", url.Values{"action": {"rotate"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("rotate: %d", w.Code)
	}
	if !strings.Contains(a.Get("/admin/keys?done=rotated").Body.String(), "Publishing") {
		t.Fatal("new key not listed as publishing")
	}
	if evs := h.Audits("key.rotated"); len(evs) != 1 || evs[0].Details["kid"] != "key-1" || evs[0].ActorID != "root" {
		t.Fatalf("audit: %+v", evs)
	}
	a.Get("/admin/organizations")
	w = a.Post("/admin/organizations", url.Values{"action": {"create"}, "name": {"Acme"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/organizations/") {
		t.Fatalf("create org: %d %q", w.Code, w.Header().Get("Location"))
	}
	if !strings.Contains(a.Get("/admin/organizations").Body.String(), "Acme") {
		t.Fatal("organization not listed")
	}
}

func TestAdminPublicClientHasNoSecret(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	a.Get("/admin/clients/new")
	// A public client may not use client_credentials: refused, nothing stored.
	w := a.Post("/admin/clients/new", url.Values{"name": {"SPA"}, "kind": {"public"}, "grant_types": {"authorization_code", "client_credentials"},
		"redirect_uris": {"http://127.0.0.1:5173/callback"}, "cors_origins": {"http://127.0.0.1:5173"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "only for confidential clients") || h.clientCount() != 0 {
		t.Fatalf("public client_credentials accepted:\n%s", w.Body)
	}
	w = a.Post("/admin/clients/new", url.Values{"name": {"SPA"}, "kind": {"public"}, "grant_types": {"authorization_code"},
		"redirect_uris": {"http://127.0.0.1:5173/callback"}, "cors_origins": {"http://127.0.0.1:5173"}})
	webtest.WantStatus(t, w, http.StatusSeeOther)
	page := a.Get(w.Header().Get("Location"))
	if secretOnPage.MatchString(page.Body.String()) || strings.Contains(page.Body.String(), "Make a new secret") {
		t.Fatalf("a public client shows a secret:\n%s", page.Body)
	}
	cs, _ := h.Store.ListClients(h.Ctx())
	if len(cs) != 1 || !cs[0].Public || cs[0].TokenEndpointAuthMethod != "none" || len(cs[0].SecretHash) != 0 ||
		cs[0].CORSOrigins[0] != "http://127.0.0.1:5173" {
		t.Fatalf("stored: %+v", cs)
	}
}

// TestAdminClientPKCEOptional: the new-client form's "PKCE optional" box
// lets a confidential client send no code_challenge; the detail page says
// so; a public client with the box is refused (RFC 9700 §2.1.1).
func TestAdminClientPKCEOptional(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	a := h.signedInAdmin()
	a.Get("/admin/clients/new")
	w := a.Post("/admin/clients/new", url.Values{"name": {"Proxy"}, "kind": {"confidential"}, "auth_method": {"client_secret_basic"},
		"grant_types": {"authorization_code"}, "redirect_uris": {"https://proxy.example/oauth2/callback"}, "scopes": {"openid"},
		"pkce_optional": {"on"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	c, err := h.Store.GetClient(h.Ctx(), strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/clients/"), "?done=created"))
	if err != nil || !c.PKCEOptional {
		t.Fatalf("stored PKCEOptional %v, %v", c.PKCEOptional, err)
	}
	if page := a.Get(loc); !strings.Contains(page.Body.String(), "optional (checked when sent)") {
		t.Fatalf("detail page does not show the switch:\n%s", page.Body)
	}
	a.Get("/admin/clients/new")
	w = a.Post("/admin/clients/new", url.Values{"name": {"SPA"}, "kind": {"public"}, "grant_types": {"authorization_code"},
		"redirect_uris": {"https://spa.example/cb"}, "scopes": {"openid"}, "pkce_optional": {"on"}})
	webtest.WantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), "public client must always use it") {
		t.Fatalf("refusal not shown:\n%s", w.Body)
	}
}

// TestAdminRoutesAnswer: every route of the table answers through the
// mux, and another method on its path is a 405 that names the right ones.
func TestAdminRoutesAnswer(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t)
	h.Client(storage.Client{ID: "app", Name: "App", GrantTypes: []string{"client_credentials"}, Scopes: []string{"openid"},
		TokenEndpointAuthMethod: "client_secret_basic", SecretHash: randtoken.Hash("secret")})
	a := h.signedInAdmin()
	concrete := strings.NewReplacer("/clients/{id}", "/clients/app", "/users/{id}", "/users/root")
	for _, rt := range h.pages.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := concrete.Replace(pattern)
		a.Get(path)
		w := a.Do(method, path, url.Values{"csrf_token": {a.CSRF}, "action": {"none"}})
		if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d", method, path, w.Code)
		}
		w = a.Do(http.MethodPut, path, nil)
		if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Header().Get("Allow"), http.MethodGet) {
			t.Errorf("PUT %s: %d, Allow %q", path, w.Code, w.Header().Get("Allow"))
		}
	}
}
