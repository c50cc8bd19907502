package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/oauth/fositestore"
	"github.com/ostiary/ostiary/storage"
)

// Two tabs (here twenty) refresh with one refresh token at the same moment,
// through x/oauth2 against the real token endpoint, on both backends.
//
// With a grace period every racer succeeds and gets the SAME new refresh
// token, the one the winning rotation issued: one live chain (as Auth0's
// reuse interval), never a fork. Revoking the family ends every racer's
// access token.
//
// Under strict rotation (the default) exactly one racer gets tokens and the
// family is revoked, the winner's new tokens included: a second
// presentation of a refresh token is reuse (RFC 9700 §4.14.2), whichever
// tab it came from.
func TestRefreshRaceSQLite(t *testing.T) {
	t.Parallel()
	refreshRace(t, func(t testing.TB) storage.Store { return openSQLite(t) })
}

func TestRefreshRacePostgres(t *testing.T) {
	t.Parallel()
	refreshRace(t, func(t testing.TB) storage.Store { return openPostgres(t) })
}

const refreshRacers = 20

func refreshRace(t *testing.T, open func(testing.TB) storage.Store) {
	t.Run("grace period", func(t *testing.T) {
		h := newHarnessOn(t, open(t), func(c *Config) { c.RefreshGracePeriod = 30 * time.Second })
		rt := h.raceFixture()
		toks, errs := h.raceRefresh(rt)
		for i, err := range errs {
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		next := toks[0].RefreshToken
		for i, tok := range toks {
			if tok.RefreshToken != next {
				t.Errorf("racer %d got refresh token %q, racer 0 %q: the family forked", i, tok.RefreshToken, next)
			}
			if h.introspect(tok.AccessToken)["active"] != true {
				t.Errorf("racer %d's access token is not active", i)
			}
		}
		if next == rt {
			t.Fatal("the refresh token was not rotated")
		}
		if n := h.liveRefreshTokens(next); n != 1 {
			t.Errorf("%d live refresh tokens in the family, want 1", n)
		}
		// The one live token refreshes; its predecessor, presented once the
		// successor moved on, is reuse and ends the family.
		resp, after := h.refresh(appClient, next)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh with the racers' token: %d %v", resp.StatusCode, after)
		}
		for i, tok := range toks {
			if h.introspect(tok.AccessToken)["active"] != false {
				t.Errorf("racer %d's access token outlived the rotation of the token it came with", i)
			}
		}
		resp, body := h.refresh(appClient, rt)
		wantOAuthError(t, "the first token after its successor was rotated", resp, body, http.StatusBadRequest, "invalid_grant")
		resp, body = h.refresh(appClient, str(after, "refresh_token"))
		wantOAuthError(t, "the newest token after reuse", resp, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("revoking the family ends every racer's tokens", func(t *testing.T) {
		h := newHarnessOn(t, open(t), func(c *Config) { c.RefreshGracePeriod = 30 * time.Second })
		toks, errs := h.raceRefresh(h.raceFixture())
		for i, err := range errs {
			if err != nil {
				t.Fatalf("racer %d: %v", i, err)
			}
		}
		resp, _ := h.postForm("/oauth2/revoke", url.Values{"token": {toks[0].RefreshToken}}, appClient.id, appClient.secret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		for i, tok := range toks {
			if h.introspect(tok.AccessToken)["active"] != false {
				t.Errorf("racer %d's access token is active after the family was revoked", i)
			}
		}
	})
	t.Run("strict rotation", func(t *testing.T) {
		h := newHarnessOn(t, open(t))
		toks, errs := h.raceRefresh(h.raceFixture())
		var winner *oauth2.Token
		for i, err := range errs {
			var re *oauth2.RetrieveError
			switch {
			case err == nil && winner != nil:
				t.Errorf("racer %d also got tokens", i)
			case err == nil:
				winner = toks[i]
			case !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant":
				t.Errorf("racer %d: %v, want 400 invalid_grant", i, err)
			}
		}
		if winner == nil {
			t.Fatal("no racer got tokens")
		}
		if h.introspect(winner.AccessToken)["active"] != false {
			t.Error("the winner's access token is active: the family survived a concurrent reuse")
		}
		resp, body := h.refresh(appClient, winner.RefreshToken)
		wantOAuthError(t, "the winner's refresh token", resp, body, http.StatusBadRequest, "invalid_grant")
		if n := h.liveRefreshTokens(winner.RefreshToken); n != 0 {
			t.Errorf("%d live refresh tokens in the family, want 0", n)
		}
	})
}

// raceFixture signs u1 in to app and returns the refresh token of a fresh
// grant.
func (h *harness) raceFixture() string {
	h.t.Helper()
	a := h.agent()
	a.signIn("u1", "")
	return str(h.tokensFor(a, appClient), "refresh_token")
}

// raceRefresh refreshes rt from refreshRacers goroutines at once, each an
// x/oauth2 token source holding only the refresh token.
func (h *harness) raceRefresh(rt string) ([]*oauth2.Token, []error) {
	conf := &oauth2.Config{
		ClientID: appClient.id, ClientSecret: appClient.secret,
		Endpoint: oauth2.Endpoint{TokenURL: h.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
	toks, errs := make([]*oauth2.Token, refreshRacers), make([]error, refreshRacers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range refreshRacers {
		wg.Go(func() {
			<-start
			toks[i], errs[i] = conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
		})
	}
	close(start)
	wg.Wait()
	return toks, errs
}

// liveRefreshTokens counts the active refresh token records of the family
// rt belongs to: the count of a deactivation that is rolled back.
func (h *harness) liveRefreshTokens(rt string) int {
	h.t.Helper()
	ctx := context.Background()
	_, sig, _ := strings.Cut(rt, ".")
	rec, err := h.store.GetToken(ctx, storage.KindRefreshToken, fositestore.SigKey(sig))
	h.must("GetToken", err)
	tx, err := h.store.BeginTX(ctx)
	h.must("BeginTX", err)
	defer func() { h.must("Rollback", h.store.Rollback(tx)) }()
	n, err := h.store.DeactivateTokens(tx, storage.TokenFilter{Kinds: []storage.TokenKind{storage.KindRefreshToken}, RequestID: rec.RequestID})
	h.must("DeactivateTokens", err)
	return n
}
