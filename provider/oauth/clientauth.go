package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// EventClientAuthFailed is the audit event of a refused client
// authentication at the token, introspection, revocation, pushed
// authorization or device authorization endpoint.
const EventClientAuthFailed = "client.auth_failed"

// Auditor takes an audit event without making the caller wait for it
// (audit.Queue): a refused client is answered at once, and a database
// that cannot take the event does not turn the 401 into a 500.
type Auditor interface {
	Record(ctx context.Context, e storage.AuditEvent)
}

// maxLoggedClientID bounds the client id a refused request named, as it
// goes to the log and the audit: whoever sent it chose it.
const maxLoggedClientID = 128

// The reasons a client authentication failed, as logged and audited.
const (
	reasonUnknownClient    = "unknown_client"
	reasonWrongSecret      = "wrong_secret"
	reasonNoCredentials    = "no_credentials"
	reasonMethodNotAllowed = "method_not_allowed"
	reasonInvalidAssertion = "invalid_assertion"
	reasonPublicClient     = "public_client"
)

// clientAuthFailed logs and audits a refused client authentication: the
// endpoint, the client id the request named, the client's address and why;
// never the secret or assertion presented.
func (s *Server) clientAuthFailed(ctx context.Context, r *http.Request, err error) {
	id := claimedClientID(r)
	ip := s.proxies.ClientIP(r)
	reason := clientAuthReason(r, err)
	s.log.WarnContext(ctx, "client authentication failed", "endpoint", r.URL.Path, "client_id", id, "ip", ip, "reason", reason)
	if s.audit == nil {
		return
	}
	s.audit.Record(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: s.now(), Type: EventClientAuthFailed, ClientID: id, IP: ip,
		Details: map[string]string{"endpoint": r.URL.Path, "reason": reason}})
}

// claimedClientID is the client a request says it is: the Basic user, the
// client_id parameter, or the subject of its client_assertion (RFC 7523
// §3: sub is the client id), unverified, bounded.
func claimedClientID(r *http.Request) string {
	id := clientIDOf(r)
	if id == "" {
		id = assertionSubject(r.PostForm.Get("client_assertion"))
	}
	if len(id) > maxLoggedClientID {
		id = id[:maxLoggedClientID]
	}
	return id
}

// assertionSubject is the sub claim of a JWT, read without verifying it.
func assertionSubject(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || len(parts[1]) > 4096 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Sub
}

// clientAuthReason names why err refused the client of r.
func clientAuthReason(r *http.Request, err error) string {
	hint := fosite.ErrorToRFC6749Error(err).HintField
	_, basicSecret, basic := r.BasicAuth()
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, fosite.ErrNotFound):
		return reasonUnknownClient
	case strings.Contains(hint, "Public clients may not"):
		return reasonPublicClient
	case strings.Contains(hint, "client authentication method"), strings.Contains(hint, "does not support client authentication"):
		return reasonMethodNotAllowed
	case r.PostForm.Get("client_assertion") != "":
		return reasonInvalidAssertion
	case errors.Is(err, errSecretMismatch) && (basicSecret != "" || r.PostForm.Get("client_secret") != ""):
		return reasonWrongSecret
	case errors.Is(err, errSecretMismatch), !basic && r.PostForm.Get("client_secret") == "":
		return reasonNoCredentials
	}
	return "invalid_client"
}
