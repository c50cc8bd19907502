package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// adminAPI calls the admin API with token (none when empty) and returns
// the status, headers and body.
func adminAPI(t *testing.T, base, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+"/admin/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// wantError checks the one documented error shape and its code.
func wantError(t *testing.T, what string, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || status != wantStatus || e.Error.Code != wantCode || e.Error.Message == "" {
		t.Fatalf("%s: status %d body %s; want %d with error code %q and a message", what, status, body, wantStatus, wantCode)
	}
}

func clientToken(t *testing.T, issuer, id, secret string, scopes ...string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: issuer + "/oauth2/token", Scopes: scopes, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("client_credentials token for %s: %v", id, err)
	}
	return tok.AccessToken
}

// jwtScopes reads the scope claim of a JWT access token (the signature is
// the API's business; this only looks).
func jwtScopes(t *testing.T, token string) []string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Scope string `json:"scope"`
	}
	json.Unmarshal(b, &c)
	return strings.Fields(c.Scope)
}

func TestAdminAPISQLite(t *testing.T)   { adminAPIFlow(t, "sqlite") }
func TestAdminAPIPostgres(t *testing.T) { adminAPIFlow(t, "postgres") }

// adminAPIFlow is automation as an operator runs it: a confidential client
// with ostiary:admin made by the CLI, a client_credentials token from
// x/oauth2, a client registered through the API, and a real user signing
// in with that client in Chromium. Around it: the 401/403 answers, the
// admin scope withheld from a non-admin user and granted to an admin,
// revocation, pagination and the error shape.
func adminAPIFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	base := srv.URL
	rp := newRelyingParty(t)

	var auto, plain, ada, grace map[string]string
	srv.cli("", &auto, "clients", "create", "--name", "Automation", "--grant-type", "client_credentials", "--scope", "ostiary:admin")
	srv.cli("", &plain, "clients", "create", "--name", "Reporting", "--grant-type", "client_credentials", "--scope", "reports:read")
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified")
	srv.cli(adaPassword+"\n", &grace, "users", "create", "--email", "grace@example.com", "--name", "Grace", "--password-stdin", "--verified", "--admin")
	token := clientToken(t, base, auto["client_id"], auto["client_secret"], "ostiary:admin")

	// No token: 401 with an RFC 6750 challenge, in the documented shape.
	status, hdr, body := adminAPI(t, base, "GET", "/clients", "", nil)
	wantError(t, "no token", status, body, http.StatusUnauthorized, "unauthorized")
	if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("no token: WWW-Authenticate = %q", hdr.Get("WWW-Authenticate"))
	}
	status, _, body = adminAPI(t, base, "GET", "/clients", "not-a-token", nil)
	wantError(t, "garbage token", status, body, http.StatusUnauthorized, "unauthorized")
	// A valid token of this provider without the scope: 403.
	status, hdr, body = adminAPI(t, base, "GET", "/clients", clientToken(t, base, plain["client_id"], plain["client_secret"], "reports:read"), nil)
	wantError(t, "token without ostiary:admin", status, body, http.StatusForbidden, "forbidden")
	if !strings.Contains(hdr.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Fatalf("403: WWW-Authenticate = %q", hdr.Get("WWW-Authenticate"))
	}
	// A client not registered for the scope cannot even get it.
	cc := clientcredentials.Config{ClientID: plain["client_id"], ClientSecret: plain["client_secret"], TokenURL: base + "/oauth2/token", Scopes: []string{"ostiary:admin"}, AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := cc.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Fatalf("client without ostiary:admin in its registration got it: %v", err)
	}
	// Deleted through the API, it stops at once on this server, although
	// its registration was read (and cached) a moment ago.
	if status, _, body := adminAPI(t, base, "DELETE", "/clients/"+plain["client_id"], token, nil); status != http.StatusNoContent {
		t.Fatalf("delete client: %d %s", status, body)
	}
	cc.Scopes = []string{"reports:read"}
	if _, err := cc.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("token for a client deleted through the admin API: %v, want invalid_client at once", err)
	}

	// Create a third-party web client through the API; its secret comes once.
	status, _, body = adminAPI(t, base, "POST", "/clients", token, map[string]any{
		"client_name":   "Made By API",
		"redirect_uris": []string{rp.srv.URL + "/callback"},
		"scopes":        []string{"openid", "profile", "email", "offline_access", "ostiary:admin"},
	})
	var made struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Name         string `json:"client_name"`
	}
	if json.Unmarshal(body, &made); status != http.StatusCreated || made.ClientID == "" || made.ClientSecret == "" || made.Name != "Made By API" {
		t.Fatalf("create client: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "GET", "/clients/"+made.ClientID, token, nil)
	if status != http.StatusOK || strings.Contains(string(body), `"client_secret"`) {
		t.Fatalf("get client: %d %s (a secret must never be shown again)", status, body)
	}

	// Full login with the new client: Ada (no admin flag) asks for
	// ostiary:admin too, and signs in, but her token never carries it.
	rp.connect(base, made.ClientID, made.ClientSecret)
	rp.Config.Scopes = append(rp.Config.Scopes, "ostiary:admin")
	adaToken := browserLogin(t, rp, "ada@example.com")
	if slices.Contains(jwtScopes(t, adaToken), "ostiary:admin") {
		t.Fatalf("a non-admin user's token carries ostiary:admin: %v", jwtScopes(t, adaToken))
	}
	if !slices.Contains(jwtScopes(t, adaToken), "openid") {
		t.Fatalf("Ada's token scopes: %v", jwtScopes(t, adaToken))
	}
	status, _, body = adminAPI(t, base, "GET", "/users", adaToken, nil)
	wantError(t, "non-admin user's token", status, body, http.StatusForbidden, "forbidden")
	// Grace is an instance admin: the same client gets her the scope, and
	// the API accepts her token.
	graceToken := browserLogin(t, rp, "grace@example.com")
	if !slices.Contains(jwtScopes(t, graceToken), "ostiary:admin") {
		t.Fatalf("an instance admin's token lacks ostiary:admin: %v", jwtScopes(t, graceToken))
	}
	status, _, body = adminAPI(t, base, "GET", "/users?email=ADA@", graceToken, nil)
	var users struct {
		Items []struct{ ID, Email string } `json:"items"`
	}
	if json.Unmarshal(body, &users); status != http.StatusOK || len(users.Items) != 1 || users.Items[0].ID != ada["id"] {
		t.Fatalf("search users by email: %d %s", status, body)
	}

	// Pagination walks every client exactly once.
	for _, n := range []string{"P1", "P2", "P3", "P4", "P5"} {
		if status, _, body := adminAPI(t, base, "POST", "/clients", token, map[string]any{
			"client_name": n, "grant_types": []string{"client_credentials"}, "scopes": []string{"x"}}); status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", n, status, body)
		}
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, _, body := adminAPI(t, base, "GET", "/clients?"+q.Encode(), token, nil)
		var page struct {
			Items []struct {
				ClientID string `json:"client_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if json.Unmarshal(body, &page); status != http.StatusOK || len(page.Items) > 2 {
			t.Fatalf("page %d: %d %s", pages, status, body)
		}
		for _, it := range page.Items {
			seen = append(seen, it.ClientID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var all []map[string]any
	srv.cli("", &all, "clients", "list")
	// Automation, the web client and P1–P5 (Reporting was deleted above).
	if len(seen) != 7 || len(all) != 7 {
		t.Fatalf("pagination saw %d clients %v, CLI lists %d; want 7", len(seen), seen, len(all))
	}
	for i, id := range seen {
		if slices.Contains(seen[:i], id) {
			t.Fatalf("client %s seen twice: %v", id, seen)
		}
	}

	// Errors: one shape, stable codes, nothing changed.
	status, _, body = adminAPI(t, base, "GET", "/clients/no-such-client", token, nil)
	wantError(t, "unknown client", status, body, http.StatusNotFound, "not_found")
	status, _, body = adminAPI(t, base, "POST", "/clients", token, map[string]any{"client_name": "Bad", "redirect_uris": []string{"http://evil.example/cb"}})
	wantError(t, "http redirect URI", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "PATCH", "/clients/"+made.ClientID, token, map[string]any{"redirect_uri": "typo"})
	wantError(t, "unknown field", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "GET", "/clients?limit=0", token, nil)
	wantError(t, "bad limit", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "DELETE", "/orgs/x", token, nil)
	wantError(t, "delete org without confirm", status, body, http.StatusBadRequest, "invalid_request")

	// The change made through the API is in the audit log, by the client.
	status, _, body = adminAPI(t, base, "GET", "/audit-events?type=client.created&actor=client:"+auto["client_id"]+"&limit=100", token, nil)
	var events struct {
		Items []struct {
			ClientID string `json:"client_id"`
		} `json:"items"`
	}
	if json.Unmarshal(body, &events); status != http.StatusOK || len(events.Items) != 6 {
		t.Fatalf("audit of the API's client creations: %d %s", status, body)
	}

	// Audit pagination walks the same events as one big page, newest first.
	_, _, body = adminAPI(t, base, "GET", "/audit-events?limit=500", token, nil)
	var allEvents struct {
		Items []struct{ ID string } `json:"items"`
	}
	json.Unmarshal(body, &allEvents)
	var walked []string
	cursor = ""
	for pages := 0; pages < 100; pages++ {
		q := url.Values{"limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		_, _, body := adminAPI(t, base, "GET", "/audit-events?"+q.Encode(), token, nil)
		var page struct {
			Items      []struct{ ID string } `json:"items"`
			NextCursor string                `json:"next_cursor"`
		}
		json.Unmarshal(body, &page)
		for _, it := range page.Items {
			walked = append(walked, it.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(allEvents.Items) < 10 || len(walked) != len(allEvents.Items) {
		t.Fatalf("audit pages walked %d events, one page has %d", len(walked), len(allEvents.Items))
	}
	for i := range walked {
		if walked[i] != allEvents.Items[i].ID {
			t.Fatalf("audit event %d: paged %s, listed %s", i, walked[i], allEvents.Items[i].ID)
		}
	}

	// Ada's session and consent from her login, seen and ended through the API.
	status, _, body = adminAPI(t, base, "GET", "/users/"+ada["id"]+"/consents", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), made.ClientID) {
		t.Fatalf("Ada's consents: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "DELETE", "/users/"+ada["id"]+"/consents/"+made.ClientID, token, nil); status != http.StatusNoContent {
		t.Fatalf("revoke consent: %d %s", status, body)
	}
	var consents []map[string]any
	srv.cli("", &consents, "consents", "list", "--user", "ada@example.com")
	if len(consents) != 0 {
		t.Fatalf("consents after revocation: %v", consents)
	}
	status, _, body = adminAPI(t, base, "GET", "/users/"+ada["id"]+"/sessions", token, nil)
	var sessions struct {
		Items []struct{ ID string } `json:"items"`
	}
	if json.Unmarshal(body, &sessions); status != http.StatusOK || len(sessions.Items) != 1 {
		t.Fatalf("Ada's sessions: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "DELETE", "/users/"+ada["id"]+"/sessions/"+sessions.Items[0].ID, token, nil); status != http.StatusNoContent {
		t.Fatalf("end session: %d %s", status, body)
	}
	var cliSessions []map[string]any
	srv.cli("", &cliSessions, "sessions", "list", "--user", ada["id"])
	if len(cliSessions) != 0 {
		t.Fatalf("sessions after ending: %v", cliSessions)
	}

	// Users: disable and enable; a reset of a second factor she never had is 404.
	status, _, body = adminAPI(t, base, "POST", "/users/"+ada["id"]+"/disable", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"disabled": true`) {
		t.Fatalf("disable: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/users/"+ada["id"]+"/enable", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"disabled": false`) {
		t.Fatalf("enable: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/users/"+ada["id"]+"/reset-mfa", token, nil)
	wantError(t, "reset MFA without a factor", status, body, http.StatusNotFound, "not_found")

	// Initial access tokens for dynamic client registration: made (shown
	// once), listed by id, revoked.
	status, _, body = adminAPI(t, base, "POST", "/dcr/tokens", token, map[string]any{"expires_in": 3600})
	var iat struct {
		Token     string  `json:"initial_access_token"`
		ID        string  `json:"id"`
		ExpiresAt *string `json:"expires_at"`
	}
	if json.Unmarshal(body, &iat); status != http.StatusCreated || iat.Token == "" || len(iat.ID) != 16 || iat.ExpiresAt == nil {
		t.Fatalf("create DCR token: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/dcr/tokens", token, map[string]any{"expires_in": -1})
	wantError(t, "DCR token with a negative lifetime", status, body, http.StatusBadRequest, "invalid_request")
	status, _, body = adminAPI(t, base, "GET", "/dcr/tokens", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), iat.ID) || strings.Contains(string(body), iat.Token) {
		t.Fatalf("list DCR tokens: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/dcr/tokens/abc", token, nil)
	wantError(t, "revoke DCR token by 3 characters", status, body, http.StatusBadRequest, "invalid_request")
	if status, _, body = adminAPI(t, base, "DELETE", "/dcr/tokens/"+iat.ID, token, nil); status != http.StatusNoContent {
		t.Fatalf("revoke DCR token: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/dcr/tokens/"+iat.ID, token, nil)
	wantError(t, "revoke a revoked DCR token", status, body, http.StatusNotFound, "not_found")

	// Organizations through the API, by the automation client acting as owner.
	status, _, body = adminAPI(t, base, "POST", "/orgs", token, map[string]any{"name": "Acme"})
	var org struct{ ID, Name string }
	if json.Unmarshal(body, &org); status != http.StatusCreated || org.ID == "" {
		t.Fatalf("create org: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "POST", "/orgs/"+org.ID+"/members", token, map[string]any{"user_id": ada["id"], "role": "owner"}); status != http.StatusCreated {
		t.Fatalf("add member: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "POST", "/orgs/"+org.ID+"/members", token, map[string]any{"user_id": grace["id"], "role": "member"}); status != http.StatusCreated {
		t.Fatalf("add member: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "PATCH", "/orgs/"+org.ID+"/members/"+ada["id"], token, map[string]any{"role": "member"})
	wantError(t, "demote the last owner", status, body, http.StatusConflict, "conflict")
	status, _, body = adminAPI(t, base, "PATCH", "/orgs/"+org.ID+"/members/"+grace["id"], token, map[string]any{"role": "admin"})
	if status != http.StatusOK || !strings.Contains(string(body), `"role": "admin"`) {
		t.Fatalf("set role: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "PATCH", "/orgs/"+org.ID, token, map[string]any{"name": "Acme Corp"})
	if status != http.StatusOK || !strings.Contains(string(body), "Acme Corp") {
		t.Fatalf("rename org: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/orgs/"+org.ID+"?confirm=Acme", token, nil)
	wantError(t, "delete org with the wrong name", status, body, http.StatusBadRequest, "invalid_request")
	if status, _, body = adminAPI(t, base, "DELETE", "/orgs/"+org.ID+"?confirm=Acme+Corp", token, nil); status != http.StatusNoContent {
		t.Fatalf("delete org: %d %s", status, body)
	}

	// Keys: a rotation publishes the next key.
	status, _, body = adminAPI(t, base, "POST", "/keys/rotate", token, nil)
	var rotated struct{ Kid string }
	if json.Unmarshal(body, &rotated); status != http.StatusOK || rotated.Kid == "" {
		t.Fatalf("rotate key: %d %s", status, body)
	}
	if status, _, body = adminAPI(t, base, "GET", "/keys", token, nil); status != http.StatusOK || !strings.Contains(string(body), rotated.Kid) {
		t.Fatalf("keys after rotation: %d %s", status, body)
	}

	// The CLI runs the same operations: an update seen by the API, audited.
	srv.cli("", nil, "clients", "update", "--id", made.ClientID, "--name", "Renamed By CLI")
	if _, _, body = adminAPI(t, base, "GET", "/clients/"+made.ClientID, token, nil); !strings.Contains(string(body), "Renamed By CLI") {
		t.Fatalf("client after CLI update: %s", body)
	}
	var updates []map[string]any
	srv.cli("", &updates, "audit", "list", "--type", "client.updated", "--actor", "@system")
	if len(updates) != 1 || updates[0]["client_id"] != made.ClientID {
		t.Fatalf("audit of the CLI update: %v", updates)
	}

	adminAPISSO(t, srv, token, auto["client_id"])
	adminAPISAML(t, srv, token)

	// A revoked admin token is refused at once (401), though its JWT still
	// verifies and has not expired.
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, _ := http.NewRequest("POST", base+"/oauth2/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(auto["client_id"], auto["client_secret"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	resp.Body.Close()
	status, hdr, body = adminAPI(t, base, "GET", "/clients", token, nil)
	wantError(t, "revoked token", status, body, http.StatusUnauthorized, "unauthorized")
	if !strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("revoked: WWW-Authenticate = %q", hdr.Get("WWW-Authenticate"))
	}

	// A rotated secret works at once (a mismatch re-reads the cached
	// registration); after that re-read the old one no longer does.
	var rotatedSecret map[string]string
	srv.cli("", &rotatedSecret, "clients", "rotate-secret", "--id", auto["client_id"])
	fresh := clientToken(t, base, auto["client_id"], rotatedSecret["client_secret"], "ostiary:admin")
	old := clientcredentials.Config{ClientID: auto["client_id"], ClientSecret: auto["client_secret"], TokenURL: base + "/oauth2/token",
		Scopes: []string{"ostiary:admin"}, AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := old.Token(context.Background()); err == nil {
		t.Fatal("the old secret still works after rotation")
	}
	if status, _, body := adminAPI(t, base, "GET", "/keys", fresh, nil); status != http.StatusOK {
		t.Fatalf("token of the rotated secret: %d %s", status, body)
	}
}

// browserLogin signs email in with a fresh headless Chromium through the
// real login and consent pages and returns the access token the relying
// party got.
func browserLogin(t *testing.T, rp *relyingParty, email string) string {
	t.Helper()
	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
	)
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="allow"]`)))
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Error != "" || res.Token == nil {
		t.Fatalf("login of %s: %s", email, res.Error)
	}
	return res.Token.AccessToken
}

// TestAdminListener: with admin.listen set the API answers only there.
func TestAdminListener(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	// The main listener's port is free again until the server starts, so
	// the kernel may hand it out a second time: pick another.
	var addr string
	for addr == "" || strings.HasSuffix(srv.URL, addr[strings.LastIndex(addr, ":"):]) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	srv.Env = append(srv.Env, "OSTIARY_ADMIN_LISTEN="+addr)
	srv.start(15 * time.Second)

	status, _, body := adminAPI(t, "http://"+addr, "GET", "/keys", "", nil)
	wantError(t, "admin listener without token", status, body, http.StatusUnauthorized, "unauthorized")
	status, _, _ = adminAPI(t, srv.URL, "GET", "/keys", "", nil)
	if status != http.StatusNotFound {
		t.Fatalf("main listener still serves the admin API: %d", status)
	}
	var auto map[string]string
	srv.cli("", &auto, "clients", "create", "--name", "Automation", "--grant-type", "client_credentials", "--scope", "ostiary:admin")
	token := clientToken(t, srv.URL, auto["client_id"], auto["client_secret"], "ostiary:admin")
	status, _, body = adminAPI(t, "http://"+addr, "POST", "/keys/rotate", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"kid"`) {
		t.Fatalf("rotate key on the admin listener: %d %s", status, body)
	}
}
