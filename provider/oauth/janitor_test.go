package oauth

import (
	"net/http"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/janitor"
)

// TestJanitorKeepsReuseDetection: a janitor pass after the codes and access
// tokens expired, but before the rotated refresh token did, removes the
// former and keeps the latter, so presenting the rotated token afterwards
// is still recognized as reuse and revokes the whole family (RFC 9700
// §4.14.2) — through the real token endpoint.
func TestJanitorKeepsReuseDetection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.RefreshTokenLifespan = 3 * time.Hour })
	a := h.agent()
	a.signIn("u1", "")
	rt1 := str(h.tokensFor(a, appClient), "refresh_token")
	resp, body := h.refresh(appClient, rt1)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first refresh: %d %v", resp.StatusCode, body)
	}
	rt2 := str(body, "refresh_token")

	h.clock.advance(2 * time.Hour) // code and access tokens expired; refresh tokens not
	j := &janitor.Janitor{Store: h.store, Now: h.clock.Now, BatchSize: 2, Pause: janitor.DefaultPause, Lease: janitor.DefaultLease,
		SentMailRetention: janitor.DefaultSentMailRetention, FailedMailRetention: janitor.DefaultFailedMailRetention}
	res, err := j.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]int{}
	for _, r := range res.Removed {
		removed[r.Table] = r.Rows
	}
	// The used code and both access tokens (fosite removed the PKCE row
	// at the exchange).
	if removed["tokens"] < 3 {
		t.Errorf("janitor removed %d token rows, want at least the code and both access tokens (3)", removed["tokens"])
	}

	resp, body = h.refresh(appClient, rt1)
	wantOAuthError(t, "reuse of the rotated refresh token after a janitor pass", resp, body, http.StatusBadRequest, "invalid_grant")
	resp, body = h.refresh(appClient, rt2)
	wantOAuthError(t, "the family's current refresh token after reuse", resp, body, http.StatusBadRequest, "invalid_grant")

	// Once every refresh token of the family has expired, their rows go.
	h.clock.advance(3 * time.Hour)
	res, err = j.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Total() != 2 {
		t.Errorf("after the refresh tokens expired the janitor removed %d rows (%+v), want both refresh tokens", res.Total(), res.Removed)
	}
}
