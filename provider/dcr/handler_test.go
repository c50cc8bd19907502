package dcr

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

var testNow = time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	t     *testing.T
	store *sqlite.Store
	h     *Handler
	mux   *http.ServeMux
}

func newHarness(t *testing.T, mode Mode) *harness {
	t.Helper()
	s := sqlitetest.Open(t)
	h := &Handler{Store: s, Audit: s, Mode: mode, Issuer: "https://id.example", Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc(PathRegister, h.Register)
	mux.HandleFunc(PathRegister+"/{client_id}", h.Configuration)
	return &harness{t: t, store: s, h: h, mux: mux}
}

func (hs *harness) call(method, path, token, body string) (int, map[string]any) {
	hs.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	hs.mux.ServeHTTP(rec, req)
	out := map[string]any{}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			hs.t.Fatalf("%s %s: body is not JSON: %s", method, path, rec.Body)
		}
	}
	return rec.Code, out
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	for _, c := range []struct {
		name, body, code string
	}{
		{"no redirect URIs", `{"client_name":"A"}`, "invalid_redirect_uri"},
		{"http non-loopback", `{"client_name":"A","redirect_uris":["http://a.example/cb"]}`, "invalid_redirect_uri"},
		{"fragment", `{"client_name":"A","redirect_uris":["https://a.example/cb#x"]}`, "invalid_redirect_uri"},
		{"relative", `{"client_name":"A","redirect_uris":["/cb"]}`, "invalid_redirect_uri"},
		{"no name", `{"redirect_uris":["https://a.example/cb"]}`, "invalid_client_metadata"},
		{"http logo", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"logo_uri":"http://a.example/l.png"}`, "invalid_client_metadata"},
		{"loopback tos", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"tos_uri":"http://127.0.0.1/tos"}`, "invalid_client_metadata"},
		{"http policy", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"policy_uri":"http://a.example/p"}`, "invalid_client_metadata"},
		{"implicit", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}`, "invalid_client_metadata"},
		{"client credentials", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","client_credentials"]}`, "invalid_client_metadata"},
		{"token response", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, "invalid_client_metadata"},
		{"admin scope", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"scope":"openid ostiary:admin"}`, "invalid_client_metadata"},
		{"jwks and jwks_uri", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://a.example/jwks","jwks":{"keys":[]}}`, "invalid_client_metadata"},
		{"unknown auth method", `{"client_name":"A","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"tls_client_auth"}`, "invalid_client_metadata"},
		{"not JSON", `client_name=A`, "invalid_client_metadata"},
		{"wrong type", `{"client_name":"A","redirect_uris":"https://a.example/cb"}`, "invalid_client_metadata"},
	} {
		status, body := hs.call(http.MethodPost, PathRegister, "", c.body)
		if status != http.StatusBadRequest || body["error"] != c.code {
			t.Errorf("%s: %d %v, want 400 %s", c.name, status, body, c.code)
		}
	}
	if cs, _ := hs.store.ListClients(t.Context()); len(cs) != 0 {
		t.Fatalf("refused registrations stored %d clients", len(cs))
	}
}

func TestRegisterPublicClient(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	status, body := hs.call(http.MethodPost, PathRegister, "",
		`{"client_name":"Native","redirect_uris":["http://127.0.0.1:7777/cb","com.example.app:/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"software_id":"ignored"}`)
	if status != http.StatusCreated || body["client_secret"] != nil || body["client_secret_expires_at"] != nil || body["software_id"] != nil {
		t.Fatalf("public registration: %d %v", status, body)
	}
	c, err := hs.store.GetClient(t.Context(), body["client_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Public || c.FirstParty || len(c.SecretHash) != 0 || strings.Join(c.Scopes, " ") != "openid profile email offline_access" ||
		body["client_id_issued_at"] != float64(testNow.Unix()) || body["registration_client_uri"] != "https://id.example/oauth2/register/"+c.ID {
		t.Fatalf("stored client %+v, response %v", c, body)
	}
	// Only the hash of the registration access token is kept.
	hash, err := hs.store.GetRegistrationToken(t.Context(), c.ID)
	if err != nil || !randtoken.Equal(hash, body["registration_access_token"].(string)) {
		t.Fatalf("stored registration token %x, %v", hash, err)
	}
	events, _ := hs.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.registered"})
	if len(events) != 1 || events[0].ClientID != c.ID {
		t.Fatalf("audit: %+v", events)
	}
}

func TestUpdateCannotChangeSecretKind(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	_, reg := hs.call(http.MethodPost, PathRegister, "", `{"client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	id, rat := reg["client_id"].(string), reg["registration_access_token"].(string)
	uri := PathRegister + "/" + id
	status, body := hs.call(http.MethodPut, uri, rat, `{"client_id":"`+id+`","client_name":"Web","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}`)
	if status != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Fatalf("update to a public client: %d %v", status, body)
	}
	status, body = hs.call(http.MethodPut, uri, rat, `{"client_id":"other","client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	if status != http.StatusBadRequest {
		t.Fatalf("update with another client_id: %d %v", status, body)
	}
	status, body = hs.call(http.MethodPut, uri, rat, `{"client_id":"`+id+`","client_secret":"wrong","client_name":"Web","redirect_uris":["https://a.example/cb"]}`)
	if status != http.StatusBadRequest {
		t.Fatalf("update with a wrong client_secret: %d %v", status, body)
	}
	// Refused updates left the token as it was.
	if status, _ := hs.call(http.MethodGet, uri, rat, ""); status != http.StatusOK {
		t.Fatalf("read after refused updates: %d", status)
	}
	status, body = hs.call(http.MethodPut, uri, rat, `{"client_id":"`+id+`","client_secret":"`+reg["client_secret"].(string)+`","client_name":"Web 2","redirect_uris":["https://a.example/cb2"]}`)
	if status != http.StatusOK || body["client_name"] != "Web 2" {
		t.Fatalf("update with the right client_secret: %d %v", status, body)
	}
	// Only the update that happened is audited.
	if events, _ := hs.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.updated"}); len(events) != 1 || events[0].ClientID != id {
		t.Fatalf("client.updated events: %+v", events)
	}
	if status, _ := hs.call(http.MethodDelete, uri, body["registration_access_token"].(string), ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if events, _ := hs.store.ListAudit(t.Context(), storage.AuditFilter{Type: "client.deleted"}); len(events) != 1 || events[0].ClientID != id {
		t.Fatalf("client.deleted events: %+v", events)
	}
	if _, err := hs.store.GetRegistrationToken(t.Context(), id); err == nil {
		t.Fatal("the registration access token outlived its client")
	}
}

func TestInitialAccessTokenExpires(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeInitialAccessToken)
	tok, rec, err := NewInitialAccessToken(t.Context(), hs.store, time.Hour, testNow)
	if err != nil || !rec.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("NewInitialAccessToken: %v %v", rec.ExpiresAt, err)
	}
	meta := `{"client_name":"A","redirect_uris":["https://a.example/cb"]}`
	if status, body := hs.call(http.MethodPost, PathRegister, tok, meta); status != http.StatusCreated {
		t.Fatalf("register with a fresh token: %d %v", status, body)
	}
	// Reusable until it expires.
	if status, _ := hs.call(http.MethodPost, PathRegister, tok, meta); status != http.StatusCreated {
		t.Fatalf("second registration with the token: %d", status)
	}
	hs.h.Now = func() time.Time { return testNow.Add(time.Hour + time.Second) }
	if status, body := hs.call(http.MethodPost, PathRegister, tok, meta); status != http.StatusUnauthorized || body["error"] != "invalid_token" {
		t.Fatalf("register with an expired token: %d %v", status, body)
	}
	if status, _ := hs.call(http.MethodGet, PathRegister, tok, ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("GET on the registration endpoint: %d", status)
	}
}

func TestStaticClientHasNoConfigurationEndpoint(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	c := storage.Client{ID: "static", Name: "S", RedirectURIs: []string{"https://s.example/cb"}, GrantTypes: []string{"authorization_code"},
		ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "client_secret_basic", SecretHash: randtoken.Hash("s"), CreatedAt: testNow}
	if err := hs.store.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"s", "anything"} {
		if status, _ := hs.call(http.MethodDelete, PathRegister+"/static", tok, ""); status != http.StatusUnauthorized {
			t.Fatalf("DELETE of an admin-made client with %q: %d, want 401", tok, status)
		}
	}
	if _, err := hs.store.GetClient(t.Context(), "static"); err != nil {
		t.Fatal("the admin-made client was deleted")
	}
}

// Open registration is counted per address: past the hour's share the
// endpoint answers 429 with Retry-After (RFC 6585 §4) and writes nothing;
// another address, the next hour and the initial-access-token mode are not
// affected.
func TestOpenRegistrationLimitedPerAddress(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeOpen)
	now := testNow
	hs.h.Now = func() time.Time { return now }
	hs.h.Limits, hs.h.OpenPerIPPerHour = hs.store, 3
	meta := `{"client_name":"A","redirect_uris":["https://a.example/cb"]}`
	post := func(ip string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, PathRegister, strings.NewReader(meta))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		hs.mux.ServeHTTP(rec, req)
		return rec
	}
	for i := range 3 {
		if rec := post("198.51.100.7"); rec.Code != http.StatusCreated {
			t.Fatalf("registration %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := post("198.51.100.7")
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusTooManyRequests || body["error"] != "invalid_request" {
		t.Fatalf("fourth registration: %d %s", rec.Code, rec.Body)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "3600" {
		t.Fatalf("Retry-After = %q, want 3600", ra)
	}
	if cs, _ := hs.store.ListClients(t.Context()); len(cs) != 3 {
		t.Fatalf("%d clients after a refused registration, want 3", len(cs))
	}
	if rec := post("203.0.113.9"); rec.Code != http.StatusCreated {
		t.Fatalf("another address: %d", rec.Code)
	}
	now = now.Add(time.Hour)
	if rec := post("198.51.100.7"); rec.Code != http.StatusCreated {
		t.Fatalf("the next hour: %d %s", rec.Code, rec.Body)
	}

	// With an initial access token the token is the gate: no count.
	hs.h.Mode = ModeInitialAccessToken
	tok, _, err := NewInitialAccessToken(t.Context(), hs.store, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if status, body := hs.call(http.MethodPost, PathRegister, tok, meta); status != http.StatusCreated {
			t.Fatalf("token registration %d: %d %v", i+1, status, body)
		}
	}
}

func TestRevokeInitialAccessTokenByIDPrefix(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, ModeInitialAccessToken)
	ctx := t.Context()
	// Two hashes that share their first six hex digits.
	a := append([]byte{0xab, 0xcd, 0xef, 0x01}, make([]byte, 28)...)
	b := append([]byte{0xab, 0xcd, 0xef, 0x02}, make([]byte, 28)...)
	for _, h := range [][]byte{a, b} {
		if err := hs.store.CreateInitialAccessToken(ctx, storage.InitialAccessToken{TokenHash: h, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := RevokeInitialAccessToken(ctx, hs.store, "abcdef"); err != ErrAmbiguousToken {
		t.Fatalf("shared prefix: %v, want ErrAmbiguousToken", err)
	}
	if _, err := RevokeInitialAccessToken(ctx, hs.store, "abcd"); err == nil {
		t.Fatal("a four-character id was accepted")
	}
	got, err := RevokeInitialAccessToken(ctx, hs.store, "ABCDEF02")
	if err != nil || TokenID(got) != "abcdef0200000000" {
		t.Fatalf("revoke abcdef02: %v %v", TokenID(got), err)
	}
	if _, err := hs.store.GetInitialAccessToken(ctx, b, testNow); err == nil {
		t.Fatal("the revoked token still registers")
	}
	if _, err := hs.store.GetInitialAccessToken(ctx, a, testNow); err != nil {
		t.Fatalf("the other token was touched: %v", err)
	}
	if _, err := RevokeInitialAccessToken(ctx, hs.store, "abcdef02"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("revoking again: %v, want ErrNotFound", err)
	}
}
