package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/dpop/dpoptest"
)

func TestDPoPSQLite(t *testing.T)   { dpopFlow(t, "sqlite") }
func TestDPoPPostgres(t *testing.T) { dpopFlow(t, "postgres") }

// dpopTransport is a DPoP client (RFC 9449 §4, §7): it signs a fresh proof
// for every request with its key, with the ath of a token sent with the
// DPoP scheme. No Go DPoP client library exists to use instead; the proofs
// are go-jose's (dpoptest).
type dpopTransport struct {
	t   *testing.T
	key *dpoptest.Key
}

func (d dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	u := *r.URL
	u.RawQuery = ""
	var o dpoptest.Options
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP "); ok {
		o.AccessToken = tok
	}
	r.Header.Set("DPoP", d.key.Proof(d.t, r.Method, u.String(), o))
	return http.DefaultTransport.RoundTrip(r)
}

// dpopFlow: through the real binary, a public client registered with
// `--dpop-bound-access-tokens` runs the code flow in Chromium and redeems
// the code with x/oauth2 over a DPoP transport (key A). Its access token
// is DPoP-bound (token_type DPoP, cnf.jkt); userinfo serves it with A's
// proof and refuses it with B's proof, with a replayed proof and as a
// bearer token; its refresh token refreshes with A but not with B.
func dpopFlow(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	srv.start(15 * time.Second)
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")

	var disc struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/.well-known/openid-configuration")), &disc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(disc.Algs, []string{"ES256", "RS256", "EdDSA"}) {
		t.Fatalf("dpop_signing_alg_values_supported = %v", disc.Algs)
	}

	rp := newRelyingParty(t)
	rp.capture = true
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "DPoP SPA", "--public", "--first-party", "--dpop-bound-access-tokens",
		"--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], "")
	rp.Config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	ctx := newBrowser(t)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Code == "" {
		t.Fatalf("no code captured: %+v", res)
	}

	keyA, keyB := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.EdDSA)
	withKey := func(k *dpoptest.Key) context.Context {
		return context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: dpopTransport{t, k}})
	}
	// §5.2: this client gets nothing without a proof.
	if _, err := rp.Config.Exchange(t.Context(), res.Code, oauth2.VerifierOption(res.Verifier)); !isOAuthError(err, "invalid_dpop_proof") {
		t.Fatalf("exchange without a proof: %v, want invalid_dpop_proof", err)
	}
	tok, err := rp.Config.Exchange(withKey(keyA), res.Code, oauth2.VerifierOption(res.Verifier))
	if err != nil {
		t.Fatalf("exchange with key A: %v", err)
	}
	if tok.TokenType != "DPoP" || tok.RefreshToken == "" {
		t.Fatalf("token_type %q, refresh token %q", tok.TokenType, tok.RefreshToken)
	}

	userinfo := srv.URL + "/oauth2/userinfo"
	call := func(c *http.Client, scheme, proof string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, userinfo, nil)
		req.Header.Set("Authorization", scheme+" "+tok.AccessToken)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate") + " " + string(body)
	}
	a := &http.Client{Transport: dpopTransport{t, keyA}}
	if status, body := call(a, "DPoP", ""); status != http.StatusOK || !strings.Contains(body, `"sub"`) {
		t.Fatalf("userinfo with key A: %d %s", status, body)
	}
	b := &http.Client{Transport: dpopTransport{t, keyB}}
	if status, body := call(b, "DPoP", ""); status != http.StatusUnauthorized || !strings.Contains(body, `DPoP realm=`) || !strings.Contains(body, `error="invalid_dpop_proof"`) {
		t.Fatalf("userinfo with key B: %d %s", status, body)
	}
	proof := keyA.Proof(t, http.MethodGet, userinfo, dpoptest.Options{AccessToken: tok.AccessToken})
	if status, body := call(http.DefaultClient, "DPoP", proof); status != http.StatusOK {
		t.Fatalf("userinfo with a fresh proof: %d %s", status, body)
	}
	if status, body := call(http.DefaultClient, "DPoP", proof); status != http.StatusUnauthorized || !strings.Contains(body, `error="invalid_dpop_proof"`) {
		t.Fatalf("userinfo with a replayed proof: %d %s", status, body)
	}
	if status, body := call(http.DefaultClient, "Bearer", ""); status != http.StatusUnauthorized || !strings.Contains(body, `error="invalid_token"`) {
		t.Fatalf("userinfo with the bound token as Bearer: %d %s", status, body)
	}

	// §5.0: the public client's refresh token is bound to A.
	if _, err := rp.Config.TokenSource(withKey(keyB), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !isOAuthError(err, "invalid_grant") {
		t.Fatalf("refresh with key B: %v, want invalid_grant", err)
	}
	next, err := rp.Config.TokenSource(withKey(keyA), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil || next.TokenType != "DPoP" {
		t.Fatalf("refresh with key A: %v %+v", err, next)
	}
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}
