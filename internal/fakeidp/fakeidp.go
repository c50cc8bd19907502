package fakeidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Misbehaviours.
const (
	Good         = ""
	BadSignature = "bad_signature"
	WrongAud     = "wrong_aud"
	Expired      = "expired"
	WrongNonce   = "wrong_nonce"
	Deny         = "deny"
)

// Person is who the provider signs in.
type Person struct {
	Subject, Email, Name string
	EmailVerified        bool
	Groups               []string
}

// Server is the fake provider.
type Server struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu     sync.Mutex
	mode   string
	person Person
	key    *rsa.PrivateKey
	rogue  *rsa.PrivateKey
	codes  map[string]grant
	Ended  []string // id_token_hint values seen at end_session
	Now    func() time.Time
}

type grant struct {
	nonce, challenge, redirectURI string
}

// New starts a provider that signs in p.
func New(p Person) *Server {
	s := &Server{ClientID: "broker", ClientSecret: "broker-secret", person: p, codes: map[string]grant{}, Now: time.Now}
	s.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	s.rogue, _ = rsa.GenerateKey(rand.Reader, 2048)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /end_session", s.endSession)
	s.Server = httptest.NewServer(mux)
	return s
}

// Misbehave sets what goes wrong from now on (Good for nothing).
func (s *Server) Misbehave(mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = mode
}

// SetPerson changes who signs in next.
func (s *Server) SetPerson(p Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.person = p
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": s.URL, "authorization_endpoint": s.URL + "/authorize", "token_endpoint": s.URL + "/token",
		"jwks_uri": s.URL + "/jwks", "end_session_endpoint": s.URL + "/end_session",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize approves at once and sends the browser back.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != s.ClientID || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	s.mu.Lock()
	mode := s.mode
	if mode == Deny {
		back.Set("error", "access_denied")
	} else {
		code := rand.Text()
		s.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	s.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	g, found := s.codes[r.PostForm.Get("code")]
	delete(s.codes, r.PostForm.Get("code"))
	mode, person := s.mode, s.person
	s.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || id != s.ClientID || secret != s.ClientSecret || g.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := s.Now()
	claims := map[string]any{
		"iss": s.URL, "sub": person.Subject, "aud": s.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "email": person.Email, "email_verified": person.EmailVerified, "name": person.Name,
	}
	if person.Groups != nil {
		claims["groups"] = person.Groups
	}
	key := s.key
	switch mode {
	case BadSignature:
		key = s.rogue
	case WrongAud:
		claims["aud"] = "someone-else"
	case Expired:
		claims["iat"], claims["exp"] = now.Add(-time.Hour).Unix(), now.Add(-30*time.Minute).Unix()
	case WrongNonce:
		claims["nonce"] = "not-the-nonce"
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.Ended = append(s.Ended, q.Get("id_token_hint"))
	s.mu.Unlock()
	if u := q.Get("post_logout_redirect_uri"); u != "" {
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	_, _ = w.Write([]byte("signed out upstream"))
}

// EndedSessions returns the id_token_hint values end_session saw.
func (s *Server) EndedSessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Ended...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
