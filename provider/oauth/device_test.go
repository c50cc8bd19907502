package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Device clients: tv is public (RFC 8628 §3.1 allows it), cli
// confidential; both may refresh.
var (
	tvClient     = testClient{"tv", "", "", false}
	devCLIClient = testClient{"cli", "cli-secret-0123456789abcdefghijklmnopqrstuvw", "", false}
)

func seedDeviceClients(h *harness) {
	ctx := context.Background()
	now := h.clock.Now()
	for _, c := range []storage.Client{
		{ID: tvClient.id, Name: "Living-room TV", Public: true, LogoURI: "https://tv.example/logo.png",
			GrantTypes: []string{GrantTypeDeviceCode, "refresh_token"}, TokenEndpointAuthMethod: "none",
			Scopes: []string{"openid", "profile", "email", "offline_access", "ostiary:admin"}},
		{ID: devCLIClient.id, Name: "CLI", SecretHash: randtoken.Hash(devCLIClient.secret),
			GrantTypes: []string{GrantTypeDeviceCode}, TokenEndpointAuthMethod: "client_secret_basic",
			Scopes: []string{"openid", "offline_access"}},
	} {
		c.CreatedAt, c.UpdatedAt = now, now
		h.must("CreateClient", h.store.CreateClient(ctx, c))
	}
}

func (h *harness) deviceAuth(c testClient, form url.Values) (*http.Response, map[string]any) {
	h.t.Helper()
	if c.secret == "" {
		form.Set("client_id", c.id)
		return h.postForm("/oauth2/device_authorization", form, "", "")
	}
	return h.postForm("/oauth2/device_authorization", form, c.id, c.secret)
}

func (h *harness) startDevice(c testClient, scope string) (deviceCode, userCode string) {
	h.t.Helper()
	resp, body := h.deviceAuth(c, url.Values{"scope": {scope}})
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("device authorization: %d %v", resp.StatusCode, body)
	}
	return str(body, "device_code"), str(body, "user_code")
}

func (h *harness) poll(c testClient, deviceCode string) (*http.Response, map[string]any) {
	h.t.Helper()
	return h.token(c, url.Values{"grant_type": {GrantTypeDeviceCode}, "device_code": {deviceCode}})
}

// approvedTokens runs the device flow for scope with userID approving
// and returns the token response.
func (h *harness) approvedTokens(c testClient, scope, userID string) map[string]any {
	h.t.Helper()
	dc, uc := h.startDevice(c, scope)
	h.must("DecideDevice", h.s.DecideDevice(context.Background(), uc, h.agent().signIn(userID, ""), "", true))
	resp, tok := h.poll(c, dc)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("poll: %d %v", resp.StatusCode, tok)
	}
	return tok
}

var userCodeShape = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// TestDeviceFlow runs RFC 8628 from the device's request to the tokens:
// §3.2's response, §3.5's authorization_pending and slow_down, the
// approval, the tokens (refresh with offline_access, ID token with
// openid), and single use of both codes.
func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	ctx := t.Context()
	// Signed in now: fosite checks auth_time against the real clock, which
	// the test clock only runs ahead of.
	bs := h.agent().signIn("u1", "")

	resp, body := h.deviceAuth(tvClient, url.Values{"scope": {"openid profile offline_access"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("device authorization: %d %v", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	dc, uc := str(body, "device_code"), str(body, "user_code")
	if len(dc) < 43 || !userCodeShape.MatchString(uc) {
		t.Errorf("device_code %q, user_code %q: want a 256-bit secret and XXXX-XXXX", dc, uc)
	}
	if got, want := str(body, "verification_uri"), h.issuer+"/device"; got != want {
		t.Errorf("verification_uri = %q, want %q", got, want)
	}
	if got, want := str(body, "verification_uri_complete"), h.issuer+"/device?user_code="+uc; got != want {
		t.Errorf("verification_uri_complete = %q, want %q", got, want)
	}
	if body["expires_in"] != float64(600) || body["interval"] != float64(5) {
		t.Errorf("expires_in %v interval %v, want 600 and 5", body["expires_in"], body["interval"])
	}
	// Stored hashed only (RFC 8628 §5.2 treats both as credentials).
	if _, err := h.store.GetDeviceGrant(ctx, randtoken.Hash(dc)); err != nil {
		t.Errorf("device grant under the device code's hash: %v", err)
	}

	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "first poll", resp, body, http.StatusBadRequest, "authorization_pending")
	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "poll sooner than interval (§3.5)", resp, body, http.StatusBadRequest, "slow_down")
	h.clock.advance(6 * time.Second)
	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "poll after 6 s: the interval is 10 s now (§3.5: +5 s)", resp, body, http.StatusBadRequest, "slow_down")
	h.clock.advance(16 * time.Second)
	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "poll after the longer interval", resp, body, http.StatusBadRequest, "authorization_pending")
	h.clock.advance(14500 * time.Millisecond) // the interval is 15 s after two slow_downs
	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "poll half a second early (network jitter)", resp, body, http.StatusBadRequest, "authorization_pending")

	shown, cl, scopes, err := h.s.LookupDevice(ctx, strings.ToLower(strings.ReplaceAll(uc, "-", " ")))
	if err != nil {
		t.Fatalf("LookupDevice (typed in lowercase with a space): %v", err)
	}
	if cl.Name != "Living-room TV" || shown != uc || strings.Join(scopes, " ") != "offline_access openid profile" {
		t.Errorf("LookupDevice = %q %q %v", shown, cl.Name, scopes)
	}
	if err := h.s.DecideDevice(ctx, uc, bs, "", true); err != nil {
		t.Fatalf("DecideDevice: %v", err)
	}
	if _, _, _, err := h.s.LookupDevice(ctx, uc); !errors.Is(err, ErrDeviceCodeUnknown) {
		t.Errorf("LookupDevice after approval: %v, want ErrDeviceCodeUnknown (single use)", err)
	}
	if err := h.s.DecideDevice(ctx, uc, bs, "", false); !errors.Is(err, ErrDeviceCodeUnknown) {
		t.Errorf("second decision: %v, want ErrDeviceCodeUnknown", err)
	}
	// Remembered as a consent: the account page lists the app and can
	// revoke it.
	if c, err := h.store.GetConsent(ctx, "u1", "tv"); err != nil || strings.Join(c.Scopes, " ") != "offline_access openid profile" {
		t.Errorf("consent after approval: %+v, %v", c, err)
	}

	h.clock.advance(11 * time.Second)
	resp, tok := h.poll(tvClient, dc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll after approval: %d %v", resp.StatusCode, tok)
	}
	if tok["token_type"] != "Bearer" || str(tok, "access_token") == "" || str(tok, "refresh_token") == "" || str(tok, "id_token") == "" {
		t.Errorf("token response %v: want Bearer access, refresh and ID tokens", tok)
	}
	if in, _ := tok["expires_in"].(float64); in < 890 || in > 900 {
		t.Errorf("expires_in = %v, want the access token lifespan", tok["expires_in"])
	}
	idt, err := jwt.ParseSigned(str(tok, "id_token"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var claims map[string]any
	if err := idt.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "u1" || fmt.Sprint(claims["aud"]) != "[tv]" || claims["org_id"] != "o1" || claims["name"] != "Alice" || claims["at_hash"] == nil {
		t.Errorf("ID token claims %v", claims)
	}
	if ti := h.introspect(str(tok, "access_token")); ti["active"] != true || ti["sub"] != "u1" || ti["client_id"] != "tv" {
		t.Errorf("introspection %v", ti)
	}

	resp, body = h.poll(tvClient, dc)
	wantOAuthError(t, "redeemed device code", resp, body, http.StatusBadRequest, "invalid_grant")

	resp, ref := h.refresh(tvClient, str(tok, "refresh_token"))
	if resp.StatusCode != http.StatusOK || str(ref, "access_token") == "" {
		t.Errorf("refresh of the device grant's token: %d %v", resp.StatusCode, ref)
	}
}

// TestDeviceNoRefreshWithoutOfflineAccess: as for the code flow, a refresh
// token only with offline_access; no ID token without openid.
func TestDeviceNoRefreshWithoutOfflineAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	tok := h.approvedTokens(tvClient, "profile", "u1")
	if tok["refresh_token"] != nil || tok["id_token"] != nil {
		t.Errorf("token response %v: want neither refresh nor ID token", tok)
	}
}

// TestDeviceAdminScopeOnlyForAdmins: ostiary:admin is dropped for a user
// who is not an instance administrator (grants/rules.go).
func TestDeviceAdminScopeOnlyForAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	if tok := h.approvedTokens(tvClient, "openid ostiary:admin", "u1"); str(tok, "scope") != "openid" {
		t.Errorf("scope %q, want only openid", str(tok, "scope"))
	}
}

// TestDeviceDeniedAndExpired covers §3.5's access_denied and expired_token.
func TestDeviceDeniedAndExpired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	dc, uc := h.startDevice(devCLIClient, "openid")
	h.must("DecideDevice(deny)", h.s.DecideDevice(t.Context(), uc, h.agent().signIn("u1", ""), "", false))
	resp, body := h.poll(devCLIClient, dc)
	wantOAuthError(t, "denied", resp, body, http.StatusBadRequest, "access_denied")

	dc, uc = h.startDevice(devCLIClient, "openid")
	h.clock.advance(DefaultDeviceCodeLifespan + time.Second)
	resp, body = h.poll(devCLIClient, dc)
	wantOAuthError(t, "expired", resp, body, http.StatusBadRequest, "expired_token")
	if _, _, _, err := h.s.LookupDevice(t.Context(), uc); !errors.Is(err, ErrDeviceCodeUnknown) {
		t.Errorf("LookupDevice(expired): %v", err)
	}
	if err := h.s.DecideDevice(t.Context(), uc, h.agent().signIn("u1", ""), "", true); !errors.Is(err, ErrDeviceCodeUnknown) {
		t.Errorf("DecideDevice(expired): %v", err)
	}
}

// TestDeviceOrganizationChoice: a user with several organizations must pick
// one; the tokens carry it.
func TestDeviceOrganizationChoice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	ctx := t.Context()
	dc, uc := h.startDevice(tvClient, "openid")
	_, cl, _, err := h.s.LookupDevice(ctx, uc)
	h.must("LookupDevice", err)
	orgs, err := h.s.DeviceOrganizations(ctx, cl, "u2")
	if err != nil || len(orgs) != 2 {
		t.Fatalf("DeviceOrganizations(u2) = %v, %v; want two", orgs, err)
	}
	bs := h.agent().signIn("u2", "")
	if err := h.s.DecideDevice(ctx, uc, bs, "", true); fault.KindOf(err) != fault.Invalid {
		t.Errorf("approve without an organization: %v, want an invalid fault", err)
	}
	if err := h.s.DecideDevice(ctx, uc, bs, "o9", true); fault.KindOf(err) != fault.Invalid {
		t.Errorf("approve for a foreign organization: %v, want an invalid fault", err)
	}
	h.must("DecideDevice(o2)", h.s.DecideDevice(ctx, uc, bs, "o2", true))
	resp, tok := h.poll(tvClient, dc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d %v", resp.StatusCode, tok)
	}
	at, err := jwt.ParseSigned(str(tok, "access_token"), []jose.SignatureAlgorithm{jose.RS256})
	h.must("parse access token", err)
	var claims map[string]any
	h.must("claims", at.UnsafeClaimsWithoutVerification(&claims))
	if claims["org_id"] != "o2" || claims["org_role"] != "owner" {
		t.Errorf("access token claims %v, want org o2 as owner", claims)
	}
}

// TestDeviceRejects: every bad input of the two endpoints.
func TestDeviceRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	dc, _ := h.startDevice(tvClient, "openid")

	for _, tc := range []struct {
		name   string
		do     func() (*http.Response, map[string]any)
		status int
		code   string
	}{
		{"device authorization: client not registered for the grant (§3.1)", func() (*http.Response, map[string]any) {
			return h.deviceAuth(appClient, url.Values{})
		}, 400, "unauthorized_client"},
		{"device authorization: unknown client", func() (*http.Response, map[string]any) {
			return h.deviceAuth(testClient{id: "nobody"}, url.Values{})
		}, 401, "invalid_client"},
		{"device authorization: wrong secret", func() (*http.Response, map[string]any) {
			return h.deviceAuth(testClient{id: devCLIClient.id, secret: "wrong"}, url.Values{})
		}, 401, "invalid_client"},
		{"device authorization: confidential client without its secret", func() (*http.Response, map[string]any) {
			return h.deviceAuth(testClient{id: devCLIClient.id}, url.Values{})
		}, 401, "invalid_client"},
		{"device authorization: scope not registered", func() (*http.Response, map[string]any) {
			return h.deviceAuth(tvClient, url.Values{"scope": {"openid api:write"}})
		}, 400, "invalid_scope"},
		{"device authorization: scope repeated", func() (*http.Response, map[string]any) {
			return h.deviceAuth(tvClient, url.Values{"scope": {"openid", "profile"}})
		}, 400, "invalid_request"},
		{"token: device_code missing", func() (*http.Response, map[string]any) {
			return h.token(tvClient, url.Values{"grant_type": {GrantTypeDeviceCode}})
		}, 400, "invalid_request"},
		{"token: unknown device_code", func() (*http.Response, map[string]any) { return h.poll(tvClient, "not-a-code") }, 400, "invalid_grant"},
		{"token: device_code of another client", func() (*http.Response, map[string]any) { return h.poll(devCLIClient, dc) }, 400, "invalid_grant"},
		{"token: client not registered for the grant", func() (*http.Response, map[string]any) { return h.poll(appClient, dc) }, 400, "unauthorized_client"},
		{"token: wrong secret", func() (*http.Response, map[string]any) {
			return h.poll(testClient{id: devCLIClient.id, secret: "wrong"}, dc)
		}, 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.do()
			wantOAuthError(t, tc.name, resp, body, tc.status, tc.code)
		})
	}
	t.Run("device authorization: GET is 405", func(t *testing.T) {
		resp, err := http.Get(h.issuer + "/oauth2/device_authorization?client_id=tv")
		h.must("GET", err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d, want 405", resp.StatusCode)
		}
	})
	t.Run("the other client's poll did not touch the code", func(t *testing.T) {
		resp, body := h.poll(tvClient, dc)
		wantOAuthError(t, "owner's first poll", resp, body, http.StatusBadRequest, "authorization_pending")
	})
	t.Run("page: malformed user codes are unknown", func(t *testing.T) {
		for _, typed := range []string{"", "BCDF-GHJ", "BCDF-GHJK-L", "ABCD-EFGH", "0000-1111", "BCDF-GHJ€"} {
			if _, _, _, err := h.s.LookupDevice(t.Context(), typed); !errors.Is(err, ErrDeviceCodeUnknown) {
				t.Errorf("LookupDevice(%q): %v", typed, err)
			}
		}
	})
}

func TestUserCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		c := newUserCode()
		if !userCodeShape.MatchString(FormatUserCode(c)) {
			t.Fatalf("user code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Errorf("%d distinct codes of 1000", len(seen))
	}
	for typed, want := range map[string]string{"bcdf-ghjk": "BCDFGHJK", " BCDF GHJK ": "BCDFGHJK", "BCDFGHJK": "BCDFGHJK"} {
		if got, ok := NormalizeUserCode(typed); !ok || got != want {
			t.Errorf("NormalizeUserCode(%q) = %q, %v", typed, got, ok)
		}
	}
}

// TestDevicePollRace: concurrent polls of one approved code yield exactly
// one token response, on SQLite and PostgreSQL (the redemption is a
// conditional update first in the token transaction).
func TestDevicePollRace(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) storage.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessOn(t, open(t))
			seedDeviceClients(h)
			for round := range 3 {
				dc, uc := h.startDevice(tvClient, "openid offline_access")
				h.must("DecideDevice", h.s.DecideDevice(t.Context(), uc, h.agent().signIn("u1", ""), "", true))
				const racers = 8
				codes := make([]string, racers)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range racers {
					wg.Go(func() {
						<-start
						resp, body := h.poll(tvClient, dc)
						codes[i] = str(body, "error")
						if resp.StatusCode == http.StatusOK {
							codes[i] = "ok"
						}
					})
				}
				close(start)
				wg.Wait()
				ok := 0
				for _, c := range codes {
					switch c {
					case "ok":
						ok++
					case "invalid_grant":
					default:
						t.Errorf("round %d: a racer got %q", round, c)
					}
				}
				if ok != 1 {
					t.Errorf("round %d: %d token responses, want exactly 1 (%v)", round, ok, codes)
				}
			}
		})
	}
}
