package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
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
