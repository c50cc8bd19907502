package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// Two tabs, or an attacker racing the legitimate client, present the same
// code or refresh token at once. Against a real server on PostgreSQL exactly
// one request wins; every other gets invalid_grant, never a 5xx
// (RFC 6749 §4.1.2: a code is used once; RFC 9700 §4.14.2: rotation).
func TestConcurrentRedemptionAndRefreshPostgres(t *testing.T) {
	srv := newServer(t, database(t, "postgres"))
	srv.start(20 * time.Second)
	rp := newRelyingParty(t)
	var ada, client map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Racer", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	rp.capture = true

	ctx := newBrowser(t)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Code == "" {
		t.Fatalf("no code captured: %+v", res)
	}

	const n = 20
	codeForm := url.Values{"grant_type": {"authorization_code"}, "code": {res.Code},
		"redirect_uri": {rp.Config.RedirectURL}, "code_verifier": {res.Verifier}}
	statuses, bodies := race(t, rp, n, codeForm)
	ok := tally(t, statuses, bodies)
	if ok != 1 {
		t.Fatalf("%d of %d concurrent redemptions of one code succeeded, want exactly 1", ok, n)
	}
	// Losers that arrive after the winner committed are code replays, and
	// the grant they name is revoked (RFC 6749 §4.1.2 "SHOULD revoke"), so
	// the refresh race needs a grant of its own: sign in again (the session
	// makes it silent) and let the client redeem its code alone.
	rp.mu.Lock()
	rp.capture = false
	rp.mu.Unlock()
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start"))
	waitText(t, ctx, "RP: signed in")
	fresh := rp.result()
	if fresh.Token == nil {
		t.Fatalf("second sign-in: %+v", fresh)
	}
	refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.Token.RefreshToken}}
	statuses, bodies = race(t, rp, n, refreshForm)
	if ok := tally(t, statuses, bodies); ok != 1 {
		t.Fatalf("%d of %d concurrent refreshes of one token succeeded, want exactly 1", ok, n)
	}
	// Under strict rotation (the default) the losers' second presentation
	// is reuse: the family is revoked, the winner's new refresh token too
	// (README, Tokens; tokens.refresh_grace_period is the switch).
	var won struct {
		RefreshToken string `json:"refresh_token"`
	}
	for i, st := range statuses {
		if st == 200 {
			if err := json.Unmarshal([]byte(bodies[i]), &won); err != nil {
				t.Fatalf("winner's body: %v", err)
			}
		}
	}
	if _, err := tryRefresh(rp, won.RefreshToken); !isInvalidGrant(err) {
		t.Errorf("the race winner's refresh token: %v, want invalid_grant (family revoked)", err)
	}
}

// race sends the same token request n times at once.
func race(t *testing.T, rp *relyingParty, n int, form url.Values) ([]int, []string) {
	t.Helper()
	statuses, bodies := make([]int, n), make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequestWithContext(context.Background(), "POST", rp.Config.Endpoint.TokenURL, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(rp.Config.ClientID), url.QueryEscape(rp.Config.ClientSecret))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				bodies[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, string(b)
		}()
	}
	close(start)
	wg.Wait()
	return statuses, bodies
}

// tally counts the 200s and checks every loser got 400 invalid_grant.
func tally(t *testing.T, statuses []int, bodies []string) (ok int) {
	t.Helper()
	for i, s := range statuses {
		switch {
		case s == 200:
			ok++
		case s == 400 && strings.Contains(bodies[i], `"invalid_grant"`):
		default:
			t.Errorf("request %d: %d %s; want 200 or 400 invalid_grant", i, s, bodies[i])
		}
	}
	return ok
}

func TestRefreshGracePeriodRaceSQLite(t *testing.T)   { refreshGracePeriodRace(t, "sqlite") }
func TestRefreshGracePeriodRacePostgres(t *testing.T) { refreshGracePeriodRace(t, "postgres") }

// refreshGracePeriodRace: with tokens.refresh_grace_period on, twenty tabs
// refreshing one token at once through x/oauth2 all succeed and all get the
// same new refresh token (one live chain, never a fork); that token
// refreshes, and the first one, presented after its successor moved on, is
// reuse.
func refreshGracePeriodRace(t *testing.T, db string) {
	srv := newServer(t, database(t, db))
	withConfig(t, srv, "tokens:\n  refresh_grace_period: 20s\n")
	srv.start(20 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", &client, "clients", "create", "--name", "Tabs", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)
	signInFrom(t, ctx, rp.srv.URL+"/start", "ada@example.com", adaPassword)
	waitText(t, ctx, "RP: signed in")
	res := rp.result()
	if res.Token == nil || res.Token.RefreshToken == "" {
		t.Fatalf("sign-in: %+v", res)
	}
	first := res.Token.RefreshToken

	const n = 20
	toks, errs := make([]*oauth2.Token, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			toks[i], errs[i] = tryRefresh(rp, first)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	next := toks[0].RefreshToken
	for i, tok := range toks {
		if tok.RefreshToken != next {
			t.Errorf("racer %d got another refresh token than racer 0: the family forked", i)
		}
	}
	if next == first {
		t.Fatal("the refresh token was not rotated")
	}
	refresh(t, rp, next)
	if _, err := tryRefresh(rp, first); !isInvalidGrant(err) {
		t.Errorf("the first token after its successor was used: %v, want invalid_grant", err)
	}
}
