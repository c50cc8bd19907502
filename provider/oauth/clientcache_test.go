package oauth

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// The client cache may serve a registration for at most ClientCacheTTL: a
// rotated secret, a deleted client or a changed scope list is seen by every
// endpoint once that time has passed (here: on the injected clock).

func ccForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
}

func TestClientCacheSeesRotatedSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	const newSecret = "svc-rotated-0123456789abcdefghijklmnopqrstuv"
	h.must("rotate secret", h.store.UpdateClient(context.Background(), svcClient.id, func(c storage.Client) (storage.Client, error) {
		c.SecretHash = randtoken.Hash(newSecret)
		return c, nil
	}))
	rotated := svcClient
	rotated.secret = newSecret

	h.clock.advance(ClientCacheTTL)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("old secret after the TTL: %d %v, want 401 invalid_client", resp.StatusCode, body)
	}
	if resp, body := h.token(rotated, ccForm()); resp.StatusCode != http.StatusOK {
		t.Errorf("new secret after the TTL: %d %v", resp.StatusCode, body)
	}
}

// TestClientCacheNewSecretWorksAtOnce: a secret rotated by another process
// (the CLI, the admin API on another replica) is accepted at once; the
// cached old one only until the entry expires.
func TestClientCacheNewSecretWorksAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	const newSecret = "svc-rotated-at-once-0123456789abcdefghijkl"
	h.must("rotate secret", h.store.UpdateClient(context.Background(), svcClient.id, func(c storage.Client) (storage.Client, error) {
		c.SecretHash = randtoken.Hash(newSecret)
		return c, nil
	}))
	rotated := svcClient
	rotated.secret = newSecret
	if resp, body := h.token(rotated, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("new secret right after the rotation: %d %v", resp.StatusCode, body)
	}
	// That request re-read the registration: the old secret is refused now.
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old secret after the re-read: %d %v, want 401", resp.StatusCode, body)
	}
}

func TestClientCacheSeesDeletedClient(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			h := newHarnessOn(t, be.open(t))
			_, body := h.token(svcClient, ccForm())
			at := str(body, "access_token")
			// The app client introspects svc's token: svc itself could not
			// authenticate once deleted.
			introspect := func() map[string]any {
				t.Helper()
				resp, body := h.postForm("/oauth2/introspect", url.Values{"token": {at}}, appClient.id, appClient.secret)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("introspect: %d %v", resp.StatusCode, body)
				}
				return body
			}
			if in := introspect(); in["active"] != true {
				t.Fatalf("before the delete: %v", in)
			}
			h.must("delete client", h.store.DeleteClient(context.Background(), svcClient.id))

			h.clock.advance(ClientCacheTTL)
			if in := introspect(); in["active"] != false {
				t.Errorf("a deleted client's token after the TTL: %v, want inactive", in)
			}
			if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Errorf("deleted client after the TTL: %d %v, want 401 invalid_client", resp.StatusCode, body)
			}
		})
	}
}

func TestClientCacheSeesChangedScopes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	h.must("narrow scopes", h.store.UpdateClient(context.Background(), svcClient.id, func(c storage.Client) (storage.Client, error) {
		c.Scopes = []string{"api:write"}
		return c, nil
	}))
	h.clock.advance(ClientCacheTTL)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Errorf("a scope no longer allowed after the TTL: %d %v, want 400 invalid_scope", resp.StatusCode, body)
	}
}

// ClientChanged is how this process's own admin changes bypass the TTL: a
// deleted client is refused with the next request, on the same clock.
func TestClientChangedDropsTheCachedClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
	}
	h.must("delete client", h.store.DeleteClient(context.Background(), svcClient.id))
	// Within the TTL the cache still answers for it...
	if resp, _ := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusOK {
		t.Fatalf("deleted client within the TTL, before ClientChanged: %d (the cache was expected to answer)", resp.StatusCode)
	}
	// ...until the process that deleted it says so.
	h.s.ClientChanged(svcClient.id)
	if resp, body := h.token(svcClient, ccForm()); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Fatalf("deleted client after ClientChanged: %d %v, want 401 invalid_client", resp.StatusCode, body)
	}
}
