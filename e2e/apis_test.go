package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestAPIResourceServerJWX: a resource server built with lestrrat-go/jwx
// (the JWKS fetched from the provider, aud required to be its API's
// identifier) accepts the token a client got with RFC 8707 resource= for
// that API after a browser sign-in (x/oauth2, resource on the
// authorization and the token request), and rejects a token for another
// API; an API not granted to the client is invalid_target (RFC 8707 §2),
// also for client_credentials.
func TestAPIResourceServerJWX(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	const orders, billing, hr = "https://api.example/orders", "https://api.example/billing", "https://api.example/hr"
	var ada, client map[string]string
	var apiAny map[string]any
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &apiAny, "apis", "create", "--identifier", orders, "--name", "Orders", "--scope", "orders:read=See your orders")
	srv.cli("", &apiAny, "apis", "create", "--identifier", billing, "--name", "Billing")
	srv.cli("", &apiAny, "apis", "create", "--identifier", hr, "--name", "HR")
	srv.cli("", &client, "clients", "create", "--name", "Shop", "--public", "--first-party",
		"--redirect-uri", "http://127.0.0.1/callback", "--grant-type", "authorization_code", "--grant-type", "refresh_token",
		"--api", orders, "--api", billing)
	var svc map[string]string
	srv.cli("", &svc, "clients", "create", "--name", "Worker", "--grant-type", "client_credentials", "--api", orders)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan url.Values, 4)
	cb := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			codes <- r.URL.Query()
			_, _ = w.Write([]byte("Shop: signed in"))
		}
	})}}
	cb.Start()
	t.Cleanup(cb.Close)
	cfg := oauth2.Config{
		ClientID:    client["client_id"],
		Endpoint:    oauth2.Endpoint{AuthURL: srv.URL + "/oauth2/authorize", TokenURL: srv.URL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://" + ln.Addr().String() + "/callback",
		Scopes:      []string{"openid"},
	}

	// The resource server of the Orders API.
	jwksURL := srv.URL + "/.well-known/jwks.json"
	verify := func(raw, audience string) error {
		set, err := jwk.Fetch(context.Background(), jwksURL)
		if err != nil {
			return err
		}
		_, err = jwt.Parse([]byte(raw), jwt.WithKeySet(set), jwt.WithIssuer(srv.URL), jwt.WithAudience(audience), jwt.WithValidate(true))
		return err
	}
	resource := func(r string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("resource", r) }

	ctx := newBrowser(t)
	verifier := oauth2.GenerateVerifier()
	signInFrom(t, ctx, cfg.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), resource(orders)), "ada@example.com", adaPassword)
	waitText(t, ctx, "Shop: signed in")
	q := <-codes
	if q.Get("code") == "" {
		t.Fatalf("callback: %v", q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier), resource(orders))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	if err := verify(tok.AccessToken, orders); err != nil {
		t.Fatalf("the Orders API refused its token: %v", err)
	}
	if err := verify(tok.AccessToken, billing); err == nil {
		t.Fatal("the Billing API accepted a token for Orders")
	}

	// A token for another API (granted too) is refused by Orders.
	verifier = oauth2.GenerateVerifier()
	do(t, ctx, chromedp.Navigate(cfg.AuthCodeURL("state-1123456789", oauth2.S256ChallengeOption(verifier), resource(billing))))
	q = <-codes
	tok, err = cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier), resource(billing))
	if err != nil {
		t.Fatalf("code exchange for billing: %v", err)
	}
	if err := verify(tok.AccessToken, billing); err != nil {
		t.Fatalf("the Billing API refused its token: %v", err)
	}
	if err := verify(tok.AccessToken, orders); err == nil {
		t.Fatal("the Orders API accepted a token for Billing")
	}

	// An API not granted to the client: invalid_target on the redirect.
	do(t, ctx, chromedp.Navigate(cfg.AuthCodeURL("state-2123456789", oauth2.S256ChallengeOption(verifier), resource(hr))))
	q = <-codes
	if q.Get("error") != "invalid_target" {
		t.Fatalf("API not granted: %v, want invalid_target", q)
	}

	// client_credentials with resource.
	cc := clientcredentials.Config{ClientID: svc["client_id"], ClientSecret: svc["client_secret"], TokenURL: srv.URL + "/oauth2/token",
		EndpointParams: url.Values{"resource": {orders}}}
	st, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(st.AccessToken, orders); err != nil {
		t.Fatalf("client_credentials token for Orders refused: %v", err)
	}
	cc.EndpointParams = url.Values{"resource": {hr}}
	_, err = cc.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_target" || !strings.Contains(string(re.Body), "invalid_target") {
		t.Fatalf("client_credentials for an API not granted: %v", err)
	}
}
