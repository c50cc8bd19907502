package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fakeGitHub is GitHub's OAuth and API endpoints on 127.0.0.1.
func fakeGitHub(t *testing.T, emails string, apiStatus int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("code") != "good-code" || r.PostForm.Get("client_secret") != "s3cret" || r.PostForm.Get("code_verifier") == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"bad_verification_code"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"gho_token","token_type":"bearer","scope":"read:user,user:email"}`))
	})
	api := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gho_token" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			if apiStatus != http.StatusOK {
				http.Error(w, "down", apiStatus)
				return
			}
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /api/user", api(`{"id": 583231, "login": "octocat", "name": "The Octocat"}`))
	mux.HandleFunc("GET /api/user/emails", api(emails))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func githubConn(t *testing.T, srv *httptest.Server) Connector {
	t.Helper()
	c, err := New(Config{ID: "github", Type: TypeGitHub, Name: "GitHub", ClientID: "Iv1.test", ClientSecret: "s3cret",
		BaseURL: srv.URL, APIURL: srv.URL + "/api"}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGitHubVerifiedPrimaryOnly(t *testing.T) {
	t.Parallel()
	start := Start{State: "st", Nonce: "n", Verifier: "a-verifier-of-enough-length-0123456789abcdef"}
	for _, tc := range []struct {
		name, emails string
		wantEmail    string
		wantVerified bool
	}{
		{"verified primary", `[{"email":"other@example.com","primary":false,"verified":true},{"email":"octo@example.com","primary":true,"verified":true}]`, "octo@example.com", true},
		{"unverified primary", `[{"email":"octo@example.com","primary":true,"verified":false},{"email":"other@example.com","primary":false,"verified":true}]`, "octo@example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, tc.emails, http.StatusOK)
			c := githubConn(t, srv)
			auth, err := c.AuthURL(context.Background(), start, "https://id.example/login/upstream/callback")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(auth)
			if !strings.HasPrefix(auth, srv.URL+"/login/oauth/authorize?") || u.Query().Get("state") != "st" ||
				u.Query().Get("code_challenge_method") != "S256" {
				t.Fatalf("auth URL %s", auth)
			}
			id, err := c.Finish(context.Background(), "good-code", start, "https://id.example/login/upstream/callback")
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != "583231" || id.Issuer != srv.URL || id.Name != "The Octocat" ||
				id.Email != tc.wantEmail || id.EmailVerified != tc.wantVerified {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

func TestGitHubFailures(t *testing.T) {
	t.Parallel()
	start := Start{State: "st", Verifier: "a-verifier-of-enough-length-0123456789abcdef"}
	srv := fakeGitHub(t, `[]`, http.StatusInternalServerError)
	c := githubConn(t, srv)
	if _, err := c.Finish(context.Background(), "good-code", start, "https://id.example/cb"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("API down: %v", err)
	}
	if _, err := c.Finish(context.Background(), "stolen-code", start, "https://id.example/cb"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("bad code: %v", err)
	}
	srv.Close()
	if _, err := c.Finish(context.Background(), "good-code", start, "https://id.example/cb"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("GitHub unreachable: %v", err)
	}
}

func TestClaimMapping(t *testing.T) {
	t.Parallel()
	var m map[string]any
	_ = json.Unmarshal([]byte(`{"oid":"abc-123","upn":"ann@corp.example","verified":"true","displayName":"Ann","roles":"eng ops"}`), &m)
	id := mapClaims(m, Claims{Subject: "oid", Email: "upn", EmailVerified: "verified", Name: "displayName", Groups: "roles"}.withDefaults())
	if id.Subject != "abc-123" || id.Email != "ann@corp.example" || !id.EmailVerified || id.Name != "Ann" ||
		len(id.Groups) != 2 || id.Groups[1] != "ops" {
		t.Fatalf("mapped %+v", id)
	}
	id = mapClaims(map[string]any{"sub": "s", "groups": []any{"a", 7, "b"}}, Claims{}.withDefaults())
	if id.Subject != "s" || id.EmailVerified || len(id.Groups) != 2 {
		t.Fatalf("defaults mapped %+v", id)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	errs := Config{ID: "Bad ID", Type: "ldap"}.Validate("connectors[0]")
	joined := strings.Join(errs, "\n")
	for _, key := range []string{"connectors[0].id", "connectors[0].type", "connectors[0].name", "connectors[0].client_id", "connectors[0].client_secret"} {
		if !strings.Contains(joined, key) {
			t.Errorf("no problem reported for %s:\n%s", key, joined)
		}
	}
	if errs := (Config{ID: "corp", Type: TypeOIDC, Name: "Corp", ClientID: "c", ClientSecret: "s", Issuer: "ftp://x"}).Validate("c"); len(errs) != 1 {
		t.Errorf("bad issuer: %v", errs)
	}
	if _, err := NewSet([]Config{{ID: "a", Type: TypeGitHub, Name: "A", ClientID: "c", ClientSecret: "s"},
		{ID: "a", Type: TypeGitHub, Name: "B", ClientID: "c", ClientSecret: "s"}}, Deps{}); err == nil {
		t.Error("duplicate ids accepted")
	}
}
