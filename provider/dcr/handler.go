package dcr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/clientip"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/textcheck"
	"github.com/ostiary/ostiary/storage"
)

// PathRegister is the registration endpoint, relative to the issuer; a
// client's configuration endpoint (RFC 7592) is PathRegister/{client_id}.
const PathRegister = "/oauth2/register"

// Mode says who may register.
type Mode string

const (
	// ModeOpen lets anyone register (RFC 7591 §3 "open registration").
	ModeOpen Mode = "open"
	// ModeInitialAccessToken requires a bearer initial access token made
	// with `ostiary dcr token create`.
	ModeInitialAccessToken Mode = "initial_access_token"
)

// DefaultOpenPerIPPerHour is how many open registrations one address may
// make in an hour when the handler is given no limit of its own.
const DefaultOpenPerIPPerHour = 20

// Store is what registration reads and writes.
type Store interface {
	CreateClient(ctx context.Context, c storage.Client) error
	GetClient(ctx context.Context, id string) (storage.Client, error)
	UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error
	DeleteClient(ctx context.Context, id string) error
	storage.RegistrationStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor records client.registered, client.updated and client.deleted.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Handler serves the registration and client configuration endpoints.
type Handler struct {
	Store  Store
	Audit  Auditor
	Mode   Mode
	Issuer string
	// Proxies tells the requester's address for the audit log and the
	// open-registration count; the zero value trusts no proxy.
	Proxies clientip.Resolver
	// Limits counts open registrations per address, shared by every
	// replica; nil counts nothing. Without it anyone could fill the client
	// table from one machine: an initial access token is the gate in the
	// other mode.
	Limits storage.ThrottleStore
	// OpenPerIPPerHour caps open registrations per address and hour
	// (0: DefaultOpenPerIPPerHour).
	OpenPerIPPerHour int
	// URLs refuses a jwks_uri or back-channel logout URI the provider
	// must not fetch (provider/outbound.Guard); nil checks nothing.
	URLs URLChecker
	// IDTokenAlgs are the algorithms clients may register for their ID
	// tokens (the key set's); nil is RS256 alone.
	IDTokenAlgs []string
	Now         func() time.Time
	Logger      *slog.Logger
}

// URLChecker tells whether the provider may send requests to a URL.
type URLChecker interface {
	// CheckURL returns an error when the URL's host is, or resolves to, an
	// address outbound requests may not reach.
	CheckURL(ctx context.Context, raw string) error
}

// oauthError is an error answered with the RFC 7591 §3.2.2 JSON body.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidToken(description string) error {
	return &oauthError{http.StatusUnauthorized, "invalid_token", description}
}

// Register is POST PathRegister: RFC 7591 §3.1.
func (h *Handler) Register(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func() error {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			return &oauthError{http.StatusMethodNotAllowed, "invalid_request", "use POST"}
		}
		if h.Mode == ModeOpen {
			if err := h.countOpen(w, r); err != nil {
				return err
			}
		} else {
			tok, ok := bearer(r)
			if !ok {
				return invalidToken("an initial access token is required (Authorization: Bearer)")
			}
			if _, err := h.Store.GetInitialAccessToken(r.Context(), randtoken.Hash(tok), h.Now()); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return invalidToken("the initial access token is unknown or expired")
				}
				return err
			}
		}
		var m Metadata
		if err := decode(r, &m); err != nil {
			return err
		}
		now := h.Now()
		c, err := m.apply(storage.Client{ID: randtoken.ID(), CreatedAt: now, UpdatedAt: now}, h.Mode == ModeInitialAccessToken)
		if err != nil {
			return err
		}
		if err := h.checkIDTokenAlg(c); err != nil {
			return err
		}
		if err := h.checkFetched(r.Context(), m); err != nil {
			return err
		}
		var secret string
		if needsSecret(c) {
			secret = randtoken.New()
			c.SecretHash = randtoken.Hash(secret)
		}
		rat := randtoken.New()
		err = h.Store.InTx(r.Context(), func(ctx context.Context) error {
			if err := h.Store.CreateClient(ctx, c); err != nil {
				return err
			}
			if err := h.Store.SetRegistrationToken(ctx, c.ID, randtoken.Hash(rat)); err != nil {
				return err
			}
			return h.audit(ctx, r, "client.registered", c, map[string]string{"name": c.Name, "mode": string(h.Mode)})
		})
		if err != nil {
			return fmt.Errorf("register client: %w", err)
		}
		resp := responseOf(c, h.clientURI(c.ID))
		resp.ClientSecret = secret
		resp.RegistrationAccessToken = rat
		writeJSON(w, http.StatusCreated, resp)
		return nil
	})
}

// countOpen counts one open registration attempt of the requester's
// address, malformed ones too (they cost a request as well), and refuses it
// with 429 and Retry-After (RFC 6585 §4) once the hour's share is spent.
func (h *Handler) countOpen(w http.ResponseWriter, r *http.Request) error {
	if h.Limits == nil {
		return nil
	}
	ip := h.Proxies.ClientIP(r)
	limit := h.OpenPerIPPerHour
	if limit <= 0 {
		limit = DefaultOpenPerIPPerHour
	}
	now := h.Now()
	n, resetAt, err := h.Limits.Hit(r.Context(), "dcr-open:"+clientip.Bucket(ip), time.Hour, now)
	if err != nil {
		return fmt.Errorf("count registrations: %w", err)
	}
	if n <= limit {
		return nil
	}
	retry := max(int(resetAt.Sub(now).Seconds()+0.999), 1)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	return &oauthError{http.StatusTooManyRequests, "invalid_request",
		fmt.Sprintf("too many client registrations from this address; retry in %d seconds", retry)}
}

// Configuration is GET, PUT and DELETE on PathRegister/{client_id}: RFC 7592.
func (h *Handler) Configuration(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func() error {
		id := r.PathValue("client_id")
		c, err := h.authenticate(r, id)
		if err != nil {
			return err
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, responseOf(c, h.clientURI(c.ID)))
			return nil
		case http.MethodPut:
			return h.update(w, r, c)
		case http.MethodDelete:
			err := h.Store.InTx(r.Context(), func(ctx context.Context) error {
				if err := h.Store.DeleteClient(ctx, c.ID); err != nil {
					return err
				}
				return h.audit(ctx, r, "client.deleted", c, nil)
			})
			if err != nil {
				return fmt.Errorf("delete client %q: %w", c.ID, err)
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		default:
			w.Header().Set("Allow", "GET, PUT, DELETE")
			return &oauthError{http.StatusMethodNotAllowed, "invalid_request", "use GET, PUT or DELETE"}
		}
	})
}

// updateRequest is an RFC 7592 §2.2 body: the full metadata plus the
// client's id, and its secret if it sends one.
type updateRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Metadata
}

// update replaces the client's metadata; members left out take their
// defaults (RFC 7592 §2.2). The registration access token is rotated: the
// response carries the new one and the old one stops working.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, old storage.Client) error {
	var req updateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.ClientID != old.ID {
		return invalidMetadata("client_id: must be present and equal %q", old.ID)
	}
	if req.ClientSecret != "" && !randtoken.Equal(old.SecretHash, req.ClientSecret) {
		return invalidMetadata("client_secret: does not match the client's secret (RFC 7592 §2.2)")
	}
	if err := h.checkFetched(r.Context(), req.Metadata); err != nil {
		return err
	}
	rat := randtoken.New()
	var updated storage.Client
	err := h.Store.InTx(r.Context(), func(ctx context.Context) error {
		err := h.Store.UpdateClient(ctx, old.ID, func(c storage.Client) (storage.Client, error) {
			n, err := req.Metadata.apply(c, h.Mode == ModeInitialAccessToken)
			if err != nil {
				return c, err
			}
			if err := h.checkIDTokenAlg(n); err != nil {
				return c, err
			}
			if needsSecret(n) != (len(c.SecretHash) > 0) {
				return c, invalidMetadata("token_endpoint_auth_method: cannot change whether the client has a secret; register a new client")
			}
			n.UpdatedAt = h.Now()
			updated = n
			return n, nil
		})
		if err != nil {
			return err
		}
		if err := h.Store.SetRegistrationToken(ctx, old.ID, randtoken.Hash(rat)); err != nil {
			return err
		}
		return h.audit(ctx, r, "client.updated", updated, nil)
	})
	if err != nil {
		var me *metadataError
		if errors.As(err, &me) {
			return me
		}
		return fmt.Errorf("update client %q: %w", old.ID, err)
	}
	resp := responseOf(updated, h.clientURI(updated.ID))
	resp.RegistrationAccessToken = rat
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// authenticate checks the registration access token for client id. An
// unknown client, a client not registered here and a wrong token all get
// the same 401 (RFC 7592 §2.1), so the endpoint tells nothing about which
// client ids exist.
func (h *Handler) authenticate(r *http.Request, id string) (storage.Client, error) {
	tok, ok := bearer(r)
	if !ok {
		return storage.Client{}, invalidToken("the registration access token is required (Authorization: Bearer)")
	}
	hash, err := h.Store.GetRegistrationToken(r.Context(), id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storage.Client{}, err
	}
	if !randtoken.Equal(hash, tok) {
		return storage.Client{}, invalidToken("the registration access token is not valid for this client")
	}
	c, err := h.Store.GetClient(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Client{}, invalidToken("the registration access token is not valid for this client")
	}
	return c, err
}

// needsSecret: confidential clients authenticating with a shared secret.
func needsSecret(c storage.Client) bool {
	return !c.Public && c.TokenEndpointAuthMethod != "private_key_jwt"
}

func (h *Handler) clientURI(id string) string {
	return strings.TrimSuffix(h.Issuer, "/") + PathRegister + "/" + id
}

// audit records a change in the transaction that makes it: a change that
// cannot be audited is not made.
func (h *Handler) audit(ctx context.Context, r *http.Request, typ string, c storage.Client, details map[string]string) error {
	e := storage.AuditEvent{ID: randtoken.ID(), Time: h.Now(), Type: typ, ActorID: "@registration:" + c.ID,
		ClientID: c.ID, IP: h.Proxies.ClientIP(r), Details: details}
	if err := h.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// bearer returns the RFC 6750 §2.1 bearer token of r.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// decode reads a JSON object body into v.
func decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return invalidMetadata("the request body must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, textcheck.MaxBody))
	if err := dec.Decode(v); err != nil {
		return invalidMetadata("the body is not a JSON object of client metadata: %v", err)
	}
	return nil
}

// serve runs fn and answers its error: metadata errors with 400, token
// errors with 401 and a WWW-Authenticate challenge, anything else with a
// generic 500 whose details go only to the log.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, fn func() error) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	err := fn()
	if err == nil {
		return
	}
	var me *metadataError
	var oe *oauthError
	f, isFault := fault.From(err)
	switch {
	case errors.As(err, &me):
		writeJSON(w, http.StatusBadRequest, errorBody{me.code, me.description})
	case isFault && f.Kind == fault.Invalid:
		// Metadata that breaks the rules of every client (RFC 7591 §3.2.2).
		writeJSON(w, http.StatusBadRequest, errorBody{"invalid_client_metadata", f.Message})
	case errors.As(err, &oe):
		if oe.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		writeJSON(w, oe.status, errorBody{oe.code, oe.description})
	case errors.Is(err, storage.ErrUnavailable):
		h.Logger.ErrorContext(r.Context(), "client registration failed: database unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", storage.RetryAfterUnavailable)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"temporarily_unavailable", "the database cannot serve the request now; try again shortly"})
	default:
		h.Logger.ErrorContext(r.Context(), "client registration failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{"server_error", "the registration could not be completed"})
	}
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
