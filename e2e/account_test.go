package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
)

const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	patTokenType       = "urn:ostiary:params:oauth:token-type:pat"
)

// signInToAccount opens the account page in the browser, which sends it to
// the login page and back.
func signInToAccount(t *testing.T, ctx context.Context, srv *server, email, pw string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out-everywhere")),
	)
	if loc := location(t, ctx); loc != srv.URL+"/account" {
		t.Fatalf("after sign-in the browser is at %s, want the account page", loc)
	}
}

// exchange is a script swapping a personal access token for an access
// token at the token endpoint, as a public client.
func exchange(t *testing.T, srv *server, clientID, token, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {grantTokenExchange}, "client_id": {clientID}, "subject_token": {token},
		"subject_token_type": {patTokenType}, "scope": {scope}}
	resp, err := http.PostForm(srv.URL+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("token endpoint answered %d %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, body
}

func TestPersonalAccessTokenSQLite(t *testing.T)   { personalAccessToken(t, "sqlite") }
func TestPersonalAccessTokenPostgres(t *testing.T) { personalAccessToken(t, "postgres") }

// personalAccessToken: a user creates a token on the account page, a
// script exchanges it (RFC 8693) for a JWT that verifies against the JWKS,
// the user revokes it, and the exchange then fails.
func personalAccessToken(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)

	var ada, acme, cli, rs map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &acme, "orgs", "create", "--name", "Acme")
	srv.cli("", nil, "orgs", "add-member", "--org", acme["id"], "--user", ada["id"], "--role", "admin")
	srv.cli("", &cli, "clients", "create", "--name", "Deploy CLI", "--public", "--grant-type", grantTokenExchange,
		"--scope", "openid", "--scope", "profile", "--scope", "deploy", "--audience", "https://api.example")
	// A resource server that introspects.
	srv.cli("", &rs, "clients", "create", "--name", "API", "--grant-type", "client_credentials", "--scope", "deploy")
	rp.Config.ClientID, rp.Config.ClientSecret = rs["client_id"], rs["client_secret"]

	ctx := newBrowser(t)
	signInToAccount(t, ctx, srv, "ada@example.com", adaPassword)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#token_name"), "deploy script"),
		chromedp.Click(chromedp.CSS(`input[name="scope"][value="deploy"]`)),
		chromedp.SetValue(chromedp.CSS("#expires"), "7"),
		chromedp.Click(chromedp.CSS("#create-token")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
	)
	// Read once from the page, as a user copying it would.
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	token, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("#new-token")))
	cancel()
	if err != nil {
		t.Fatalf("read the new token: %v", err)
	}
	token = strings.TrimSpace(token)
	if !regexp.MustCompile(`^ost_pat_[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("token on the page: %q", token)
	}
	// Shown once: a reload lists the token but no longer shows it.
	do(t, ctx, chromedp.Navigate(srv.URL+"/account"))
	if text := waitText(t, ctx, "deploy script"); strings.Contains(text, token) || !strings.Contains(text, "last used never") {
		t.Fatalf("account page after reload:\n%s", text)
	}

	if !introspect(t, rp, srv, token) {
		t.Fatal("a fresh personal access token introspects inactive")
	}
	status, body := exchange(t, srv, cli["client_id"], token, "openid deploy")
	if status != http.StatusOK || body["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ||
		body["token_type"] != "Bearer" || body["refresh_token"] != nil {
		t.Fatalf("exchange: %d %v", status, body)
	}
	at, _ := body["access_token"].(string)
	var payload []byte
	keySet := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	payload, err = keySet.VerifySignature(context.Background(), at)
	if err != nil {
		t.Fatalf("exchanged token does not verify against the JWKS: %v", err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	if claims["sub"] != ada["id"] || claims["client_id"] != cli["client_id"] || claims["scope"] != "openid deploy" ||
		claims["iss"] != srv.URL || claims["aud"] == nil || claims["org_id"] != acme["id"] || claims["org_role"] != "admin" {
		t.Fatalf("exchanged token claims: %v", claims)
	}
	if exp, _ := claims["exp"].(float64); time.Until(time.Unix(int64(exp), 0)) > 16*time.Minute {
		t.Fatalf("exchanged token lives too long: exp %v", claims["exp"])
	}
	if !introspect(t, rp, srv, at) {
		t.Fatal("exchanged token introspects inactive")
	}
	// Scope widening is refused (RFC 8693 §2.1).
	if status, body := exchange(t, srv, cli["client_id"], token, "openid profile"); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Fatalf("widening exchange: %d %v", status, body)
	}

	// The page shows the use, and revokes.
	do(t, ctx, chromedp.Navigate(srv.URL+"/account"))
	if text := waitText(t, ctx, "deploy script"); strings.Contains(text, "last used never") {
		t.Fatalf("last use not shown:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Revoke token deploy script"]`)))
	waitText(t, ctx, "The token was revoked")

	if status, body := exchange(t, srv, cli["client_id"], token, "openid"); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("exchange of a revoked token: %d %v", status, body)
	}
	if introspect(t, rp, srv, token) {
		t.Fatal("revoked personal access token introspects active")
	}
	if introspect(t, rp, srv, at) {
		t.Fatal("token exchanged for a revoked personal access token introspects active")
	}
}

// otherBrowser is a second browser as a script sees one: a cookie jar that
// signs in through the login form and can run a client's sign-in.
type otherBrowser struct {
	t      *testing.T
	client *http.Client
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func newOtherBrowser(t *testing.T, srv *server, email, pw string) *otherBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &otherBrowser{t: t, client: &http.Client{Jar: jar}}
	page := b.get(srv.URL + "/login")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page has no form token:\n%s", page)
	}
	resp, err := b.client.PostForm(srv.URL+"/login", url.Values{"csrf_token": {m[1]}, "action": {"login"}, "email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !b.signedIn(srv) {
		t.Fatal("the second browser could not sign in")
	}
	return b
}

func (b *otherBrowser) get(u string) string {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

// signedIn reports whether the account page opens without a sign-in.
func (b *otherBrowser) signedIn(srv *server) bool {
	b.t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/account")
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// firstPartySetup starts a server with ada and a first-party web client,
// and signs ada in on a second browser through that client.
func firstPartySetup(t *testing.T) (*server, *relyingParty, *otherBrowser, result) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Web App", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])

	other := newOtherBrowser(t, srv, "ada@example.com", adaPassword)
	if page := other.get(rp.srv.URL + "/start"); !strings.Contains(page, "RP: signed in") {
		t.Fatalf("the second browser's sign-in to the app: %s", page)
	}
	res := rp.result()
	if res.Token == nil || res.Token.RefreshToken == "" {
		t.Fatalf("no tokens: %+v", res)
	}
	return srv, rp, other, res
}

// TestSignOutEverywhere: "sign out everywhere" on the account page signs
// out another browser too, and the refresh token it got is dead.
func TestSignOutEverywhere(t *testing.T) {
	srv, rp, other, res := firstPartySetup(t)
	ctx := newBrowser(t)
	signInToAccount(t, ctx, srv, "ada@example.com", adaPassword)
	// Both browsers are listed, this one marked; the other by its agent.
	if text := bodyText(t, ctx); !strings.Contains(text, "this browser") || !strings.Contains(text, "Go-http-client") {
		t.Fatalf("the sessions list does not show both browsers:\n%s", text)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#sign-out-everywhere")))
	waitText(t, ctx, "You are signed out")

	if other.signedIn(srv) {
		t.Fatal("the other browser is still signed in")
	}
	if _, err := tryRefresh(rp, res.Token.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh after sign out everywhere: err = %v, want invalid_grant", err)
	}
	if introspect(t, rp, srv, res.Token.AccessToken) {
		t.Fatal("access token still active after sign out everywhere")
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#password")))
}

// TestPasswordChangeEndsOtherSessions: changing the password on the account
// page signs out the other browser, kills its refresh token and makes the
// access token issued before inactive at introspection; this browser stays.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	srv, rp, other, res := firstPartySetup(t)
	ctx := newBrowser(t)
	signInToAccount(t, ctx, srv, "ada@example.com", adaPassword)
	const next = "a much better passphrase"
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#current_password"), adaPassword),
		chromedp.SendKeys(chromedp.CSS("#new_password"), next),
		chromedp.SendKeys(chromedp.CSS("#confirm_password"), next),
		chromedp.Submit(chromedp.CSS("#confirm_password")),
	)
	waitText(t, ctx, "Your password was changed")

	if other.signedIn(srv) {
		t.Fatal("the other browser is still signed in")
	}
	if _, err := tryRefresh(rp, res.Token.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh after the password change: err = %v, want invalid_grant", err)
	}
	if introspect(t, rp, srv, res.Token.AccessToken) {
		t.Fatal("access token issued before the change is still active")
	}
	// This browser stays signed in; the new password works elsewhere, the
	// old one no longer does.
	do(t, ctx, chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#sign-out-everywhere")))
	newOtherBrowser(t, srv, "ada@example.com", next)
}
