package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/randtoken"
)

// relyingParty is a web application signing users in with Ostiary the way
// a real one would: x/oauth2 with PKCE S256, go-oidc verifying the ID token
// via discovery and the JWKS.
type relyingParty struct {
	t        *testing.T
	srv      *httptest.Server
	Config   oauth2.Config
	Provider *oidc.Provider
	issuer   string

	mu      sync.Mutex
	pending map[string]pending // by state
	last    result
	// capture makes the callback keep the code instead of redeeming it.
	capture bool
	// logoutTokens receives the back-channel logout tokens POSTed to us.
	logoutTokens chan string
}

type pending struct{ verifier, nonce string }

// result is what the last callback or logout return saw.
type result struct {
	Token     *oauth2.Token
	RawID     string
	IDToken   *oidc.IDToken
	Claims    map[string]any
	Error     string
	State     string
	LoggedOut bool
	Code      string
	Verifier  string
	// Method is how the authorization response arrived: GET (query) or
	// POST (form_post).
	Method string
}

func newRelyingParty(t *testing.T) *relyingParty {
	rp := &relyingParty{t: t, pending: map[string]pending{}, logoutTokens: make(chan string, 4)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", rp.start)
	mux.HandleFunc("GET /callback", rp.callback)
	// response_mode=form_post (OAuth 2.0 Form Post Response Mode §2).
	mux.HandleFunc("POST /callback", rp.callback)
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		rp.last = result{LoggedOut: true, State: r.URL.Query().Get("state")}
		rp.mu.Unlock()
		fmt.Fprint(w, "RP: logged out")
	})
	mux.HandleFunc("POST /backchannel-logout", func(w http.ResponseWriter, r *http.Request) {
		rp.logoutTokens <- r.PostFormValue("logout_token")
	})
	rp.srv = httptest.NewServer(mux)
	t.Cleanup(rp.srv.Close)
	return rp
}

// connect completes the client configuration once the provider runs.
func (rp *relyingParty) connect(issuer, clientID, secret string) {
	p, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		rp.t.Fatalf("go-oidc discovery: %v", err)
	}
	rp.Provider, rp.issuer = p, issuer
	rp.Config = oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  rp.srv.URL + "/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
}

func (rp *relyingParty) start(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randtoken.New(), randtoken.New(), oauth2.GenerateVerifier()
	rp.mu.Lock()
	rp.pending[state] = pending{verifier, nonce}
	rp.mu.Unlock()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	for _, name := range []string{"prompt", "response_mode", "acr_values"} {
		if v := r.URL.Query().Get(name); v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(name, v))
		}
	}
	http.Redirect(w, r, rp.Config.AuthCodeURL(state, opts...), http.StatusFound)
}

func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	q := r.Form // the query, or the POSTed form
	rp.mu.Lock()
	p, ok := rp.pending[q.Get("state")]
	delete(rp.pending, q.Get("state"))
	rp.mu.Unlock()
	res := result{State: q.Get("state"), Error: q.Get("error"), Method: r.Method}
	defer func() {
		rp.mu.Lock()
		rp.last = res
		rp.mu.Unlock()
		if res.Error != "" {
			fmt.Fprintf(w, "RP error: %s", res.Error)
			return
		}
		fmt.Fprint(w, "RP: signed in")
	}()
	switch {
	case !ok:
		res.Error = "unknown state"
		return
	case res.Error != "":
		return
	case q.Get("iss") != rp.issuer:
		// RFC 9207: the iss parameter names the issuer that answered.
		res.Error = "wrong iss " + q.Get("iss")
		return
	}
	rp.mu.Lock()
	capture := rp.capture
	rp.mu.Unlock()
	if capture {
		res.Code, res.Verifier = q.Get("code"), p.verifier
		return
	}
	tok, err := rp.Config.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		res.Error = "exchange: " + err.Error()
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.Provider.Verifier(&oidc.Config{ClientID: rp.Config.ClientID}).Verify(r.Context(), raw)
	if err != nil {
		res.Error = "verify: " + err.Error()
		return
	}
	if idt.Nonce != p.nonce {
		res.Error = "nonce mismatch"
		return
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		res.Error = "at_hash: " + err.Error()
		return
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		res.Error = err.Error()
		return
	}
	res.Token, res.RawID, res.IDToken, res.Claims = tok, raw, idt, claims
}

func (rp *relyingParty) result() result {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.last
}
