package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// faultStore fails every read and write the protocol makes with fault
// while down is set: a database that went away.
type faultStore struct {
	storage.Store
	down  atomic.Bool
	fault error
	// clientsUp keeps client reads working: the failure then reaches the
	// grants' own lookups and writes.
	clientsUp bool
}

func (f *faultStore) fail() error {
	if f.down.Load() {
		return f.fault
	}
	return nil
}

func (f *faultStore) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if err := f.fail(); err != nil && !f.clientsUp {
		return storage.Client{}, err
	}
	return f.Store.GetClient(ctx, id)
}

func (f *faultStore) GetToken(ctx context.Context, kind storage.TokenKind, sig string) (storage.TokenRecord, error) {
	if err := f.fail(); err != nil {
		return storage.TokenRecord{}, err
	}
	return f.Store.GetToken(ctx, kind, sig)
}

func (f *faultStore) CreateToken(ctx context.Context, t storage.TokenRecord) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.CreateToken(ctx, t)
}

func (f *faultStore) CreateTokens(ctx context.Context, ts ...storage.TokenRecord) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.CreateTokens(ctx, ts...)
}

func (f *faultStore) InvalidateToken(ctx context.Context, kind storage.TokenKind, sig string, now time.Time) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.InvalidateToken(ctx, kind, sig, now)
}

func (f *faultStore) RotateToken(ctx context.Context, kind storage.TokenKind, sig string, now time.Time) (storage.TokenRecord, error) {
	if err := f.fail(); err != nil {
		return storage.TokenRecord{}, err
	}
	return f.Store.RotateToken(ctx, kind, sig, now)
}

func (f *faultStore) DeactivateTokens(ctx context.Context, filter storage.TokenFilter) (int, error) {
	if err := f.fail(); err != nil {
		return 0, err
	}
	return f.Store.DeactivateTokens(ctx, filter)
}

func (f *faultStore) GetPATByHash(ctx context.Context, hash []byte, now time.Time) (storage.PAT, error) {
	if err := f.fail(); err != nil {
		return storage.PAT{}, err
	}
	return f.Store.GetPATByHash(ctx, hash, now)
}

func (f *faultStore) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	if err := f.fail(); err != nil {
		return storage.AuthRequest{}, err
	}
	return f.Store.GetAuthRequest(ctx, id, now)
}

// TestStorageFailuresAreNeverClientErrors drives every grant and endpoint
// while the database fails, once with a failure the backend recognized
// (storage.ErrUnavailable: 503 temporarily_unavailable with Retry-After)
// and once with an error it did not (500 server_error). Neither may be
// invalid_client, invalid_grant, invalid_token or an inactive token: RFC
// 6749 §5.2 reserves those for bad credentials and grants. Nothing is
// spent meanwhile: the code and the refresh token work afterwards.
func TestStorageFailuresAreNeverClientErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		fault  error
		status int
		code   string
	}{
		{"unavailable", fmt.Errorf("postgres: get: %w (connection refused)", storage.ErrUnavailable), http.StatusServiceUnavailable, "temporarily_unavailable"},
		{"unknown", errors.New("postgres: get: something odd"), http.StatusInternalServerError, "server_error"},
	} {
		for _, clientsUp := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/clients_up=%v", c.name, clientsUp), func(t *testing.T) {
				fs := &faultStore{Store: openSQLite(t), fault: c.fault, clientsUp: clientsUp}
				h := newHarnessOn(t, fs)
				h.exchangeClients()
				a := h.agent()
				a.signIn("u1", "o1")
				tokens := h.tokensFor(a, appClient)
				access, refresh := str(tokens, "access_token"), str(tokens, "refresh_token")
				code, verifier := h.codeFor(a, appClient, nil, noPages)
				pat, _ := h.newPAT("u1", []string{"openid"}, time.Time{})
				if !clientsUp {
					// Past the client cache: GetClient reaches the database.
					h.clock.advance(ClientCacheTTL + time.Second)
				}
				fs.down.Store(true)

				want := func(what string, resp *http.Response, body map[string]any) {
					t.Helper()
					status, code := c.status, c.code
					if what == "revoke" && clientsUp {
						// fosite answers any failed lookup of the token
						// with 503 (RFC 7009 §2.2.1), whatever the cause.
						status, code = http.StatusServiceUnavailable, "temporarily_unavailable"
					}
					if resp.StatusCode != status || str(body, "error") != code {
						t.Errorf("%s: %d %v, want %d %s", what, resp.StatusCode, body, status, code)
					}
					if ra := resp.Header.Get("Retry-After"); (status == http.StatusServiceUnavailable) != (ra != "") {
						t.Errorf("%s: Retry-After %q on a %d", what, ra, resp.StatusCode)
					}
				}
				codeForm := url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {appClient.redirect}, "code_verifier": {verifier}}
				resp, body := h.token(appClient, codeForm)
				want("authorization_code", resp, body)
				resp, body = h.refresh(appClient, refresh)
				want("refresh_token", resp, body)
				resp, body = h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
				want("client_credentials", resp, body)
				resp, body = h.token(cliClient, exchangeForm(pat))
				want("token exchange", resp, body)
				resp, body = h.postForm("/oauth2/introspect", url.Values{"token": {access}}, svcClient.id, svcClient.secret)
				want("introspect", resp, body)
				resp, body = h.postForm("/oauth2/revoke", url.Values{"token": {refresh}}, appClient.id, appClient.secret)
				want("revoke", resp, body)
				resp, body = h.postForm("/oauth2/userinfo", url.Values{}, "", "", "Authorization", "Bearer "+access)
				want("userinfo", resp, body)

				if !clientsUp {
					// The authorization endpoint shows a page, not "unknown
					// application".
					page := a.get(h.authURL(appClient, s256(verifier+"y"), nil))
					page.Body.Close()
					if page.StatusCode != c.status || strings.Contains(h.pages.title, "Unknown") {
						t.Errorf("authorize: %d %q, want %d", page.StatusCode, h.pages.title, c.status)
					}
				}

				fs.down.Store(false)
				if resp, body := h.token(appClient, codeForm); resp.StatusCode != http.StatusOK {
					t.Errorf("the code after the outage: %d %v", resp.StatusCode, body)
				}
				if resp, body := h.refresh(appClient, refresh); resp.StatusCode != http.StatusOK {
					t.Errorf("the refresh token after the outage: %d %v", resp.StatusCode, body)
				}
			})
		}
	}
}
