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

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestNativeLoopbackSQLite(t *testing.T)   { nativeLoopback(t, "sqlite") }
func TestNativeLoopbackPostgres(t *testing.T) { nativeLoopback(t, "postgres") }

// nativeLoopback is a CLI (kubelogin, GitHub-style) signing in: a public
// client registered with http://127.0.0.1/callback, no port, listens on a
// port the system picks and runs the code flow with PKCE through x/oauth2;
// the browser signs in and lands on that port (RFC 8252 §7.3).
func nativeLoopback(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Native CLI", "--public", "--first-party",
		"--redirect-uri", "http://127.0.0.1/callback")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan url.Values, 1)
	cb := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			codes <- r.URL.Query()
			_, _ = w.Write([]byte("CLI: you may close this window"))
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
	verifier := oauth2.GenerateVerifier()
	ctx := newBrowser(t)
	signInFrom(t, ctx, cfg.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)), "ada@example.com", adaPassword)
	waitText(t, ctx, "CLI: you may close this window")
	var q url.Values
	select {
	case q = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never reached the loopback listener")
	}
	if q.Get("state") != "state-0123456789" || q.Get("code") == "" {
		t.Fatalf("callback on %s: %v", ln.Addr(), q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("code exchange: %v", err)
	}
}

// TestDefaultAudienceResourceServer: a resource server verifying tokens
// with golang-jwt and keyfunc (the JWKS fetched from the provider),
// configured with the provider's documented default audience (the issuer),
// accepts tokens of the code, refresh and client_credentials grants of
// clients created with the CLI's defaults (no --audience), and refuses a
// token for another audience (RFC 9068 §2.2, RFC 8707).
func TestDefaultAudienceResourceServer(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var ada, web, svc, other map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &web, "clients", "create", "--name", "Web App", "--redirect-uri", rp.srv.URL+"/callback")
	srv.cli("", &svc, "clients", "create", "--name", "Service", "--grant-type", "client_credentials")
	srv.cli("", &other, "clients", "create", "--name", "Billing", "--grant-type", "client_credentials",
		"--audience", "https://billing.example")
	rp.connect(srv.URL, web["client_id"], web["client_secret"])

	jwks, err := keyfunc.NewDefaultCtx(t.Context(), []string{srv.URL + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(raw string) error {
		_, err := jwt.Parse(raw, jwks.Keyfunc, jwt.WithAudience(srv.URL), jwt.WithIssuer(srv.URL),
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
		return err
	}

	code := browserLogin(t, rp, "ada@example.com")
	if err := verify(code); err != nil {
		t.Fatalf("code grant token refused: %v", err)
	}
	refreshed := refresh(t, rp, rp.result().Token.RefreshToken)
	if err := verify(refreshed.AccessToken); err != nil {
		t.Fatalf("refreshed token refused: %v", err)
	}
	cc := clientcredentials.Config{ClientID: svc["client_id"], ClientSecret: svc["client_secret"], TokenURL: srv.URL + "/oauth2/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(tok.AccessToken); err != nil {
		t.Fatalf("client_credentials token refused: %v", err)
	}
	cc = clientcredentials.Config{ClientID: other["client_id"], ClientSecret: other["client_secret"], TokenURL: srv.URL + "/oauth2/token"}
	tok, err = cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(tok.AccessToken); !errors.Is(err, jwt.ErrTokenInvalidAudience) {
		t.Fatalf("token for another audience: %v, want an audience error", err)
	}
	// resource names an audience the client may not ask for: invalid_target.
	cc.EndpointParams = url.Values{"resource": {srv.URL}}
	if _, err := cc.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_target") {
		t.Fatalf("resource outside the client's audiences: %v", err)
	}
}
