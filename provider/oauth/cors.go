package oauth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// CORS for the endpoints a browser app calls directly (token, revoke,
// userinfo). An origin must be registered by the client exactly; a
// preflight cannot name the client, so it is allowed when any client
// registered the origin, and the real request is then checked against its
// own client.

// originCacheTTL bounds how long a newly registered origin waits before
// preflights accept it, and how often preflights list the clients.
const originCacheTTL = 30 * time.Second

type originCache struct {
	store interface {
		ListClients(ctx context.Context) ([]storage.Client, error)
	}
	now func() time.Time
	ttl time.Duration

	mu       sync.Mutex
	origins  map[string]struct{}
	loadedAt time.Time
}

// reset makes the next allowed read the registrations again.
func (c *originCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.origins = nil
}

// allowed reports whether any client registered origin.
func (c *originCache) allowed(ctx context.Context, origin string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.origins == nil || now.Sub(c.loadedAt) >= c.ttl || now.Before(c.loadedAt) {
		clients, err := c.store.ListClients(ctx)
		if err != nil {
			return false, fmt.Errorf("oauth: list clients for CORS: %w", err)
		}
		set := map[string]struct{}{}
		for _, cl := range clients {
			for _, o := range cl.CORSOrigins {
				set[o] = struct{}{}
			}
		}
		c.origins, c.loadedAt = set, now
	}
	_, ok := c.origins[origin]
	return ok, nil
}

// preflight answers an OPTIONS request (Fetch §3.2.2).
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, methods string) {
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Allow", methods)
	if origin := r.Header.Get("Origin"); origin != "" {
		ok, err := s.origins.allowed(r.Context(), origin)
		if err != nil {
			s.log.ErrorContext(r.Context(), "oauth: CORS preflight", "error", err)
		}
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", methods)
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
			h.Set("Access-Control-Max-Age", "600")
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// corsForClient lets the browser read the response when the request's
// Origin is one the client registered.
func (s *Server) corsForClient(w http.ResponseWriter, r *http.Request, clientID string) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || clientID == "" {
		return
	}
	cl, err := s.clients.Get(r.Context(), clientID)
	if err != nil || !slices.Contains(cl.Registration().CORSOrigins, origin) {
		return
	}
	allowOrigin(w, origin)
}

// corsForAnyClient is for responses that cannot name a client (a userinfo
// request with a bad token): the browser may read the error when some
// client registered the origin. The response says nothing about any client.
func (s *Server) corsForAnyClient(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" {
		return
	}
	if ok, err := s.origins.allowed(r.Context(), origin); err == nil && ok {
		allowOrigin(w, origin)
	}
}

func allowOrigin(w http.ResponseWriter, origin string) {
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce")
}

// acceptCORSPost is the common door of the browser-callable POST endpoints
// (token, revocation): it answers a CORS preflight, refuses other methods,
// parses the bounded form and adds the CORS headers of the client named in
// it. It returns false when it has written the response already.
func (s *Server) acceptCORSPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodOptions {
		s.preflight(w, r, "POST, OPTIONS")
		return false
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		s.writeJSONError(r.Context(), w, r, errMethodNotAllowed)
		return false
	}
	if err := parseForm(w, r); err != nil {
		s.writeJSONError(r.Context(), w, r, err)
		return false
	}
	s.clients.RefreshIfSecretDiffers(r)
	s.corsForClient(w, r, clientIDOf(r))
	return true
}
