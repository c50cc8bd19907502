package pat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Store is what the token rules read and write.
type Store interface {
	ListClients(ctx context.Context) ([]storage.Client, error)
	CreatePAT(ctx context.Context, p storage.PAT) error
	ListPATsByUser(ctx context.Context, userID string) ([]storage.PAT, error)
	DeletePAT(ctx context.Context, userID, id string) error
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
	storage.Transactor
}

// Auditor records security events. It is written in the same transaction
// as the change, so it must be the store itself or write through it
// (*audit.Recorder).
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Service holds the rules of personal access tokens, the same for the
// user's account page, the admin API and the CLI: what a token may carry,
// how long it lives, how many a user may hold, and what revoking one
// ends.
type Service struct {
	Store Store
	Audit Auditor
	Now   func() time.Time
}

// ErrLimit refuses a token past MaxTokens.
var ErrLimit = fault.Sentinel(fault.Conflict, "too many personal access tokens")

// Expiry is a lifetime a user may choose for a token.
type Expiry struct {
	Value, Label string
	// Lifetime zero: the token does not expire.
	Lifetime time.Duration
}

// Expiries are the lifetimes on offer; "never" is allowed (a revocable
// token for a long-running job) but not the default.
var Expiries = []Expiry{
	{"7", "7 days", 7 * 24 * time.Hour},
	{"30", "30 days", 30 * 24 * time.Hour},
	{"90", "90 days", 90 * 24 * time.Hour},
	{"365", "1 year", 365 * 24 * time.Hour},
	{"never", "No expiry", 0},
}

// DefaultExpiry is the Value of the lifetime chosen unless the user
// picks another.
const DefaultExpiry = "30"

// Request is a new token as the user asked for it.
type Request struct {
	Name    string
	Scopes  []string
	Expires string // an Expiry's Value
	// AMR is how the session asking signed in: the token stands for that
	// sign-in, so an organization requiring a second factor accepts its
	// exchanges only if the session had one.
	AMR []string
}

// Created is a new token: Token is shown to the user this once; only its
// SHA-256 is stored.
type Created struct {
	PAT   storage.PAT
	Token string
}

// OfferedScopes are the scopes a token may carry now: see the function
// OfferedScopes; the exchange clients are those with the token exchange
// grant.
func (s *Service) OfferedScopes(ctx context.Context) ([]string, error) {
	cls, err := s.Store.ListClients(ctx)
	if err != nil {
		return nil, fmt.Errorf("pat: list clients: %w", err)
	}
	var scopes [][]string
	for _, c := range cls {
		if slices.Contains(c.GrantTypes, clients.GrantTokenExchange) {
			scopes = append(scopes, c.Scopes)
		}
	}
	return OfferedScopes(scopes...), nil
}

// List returns the user's tokens, newest first.
func (s *Service) List(ctx context.Context, userID string) ([]storage.PAT, error) {
	ts, err := s.Store.ListPATsByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("pat: list tokens of %q: %w", userID, err)
	}
	return ts, nil
}

// Create makes a token for userID. The cap is counted and the token stored
// in one transaction, so concurrent creates never leave more than
// MaxTokens (SQLite serializes writers; PostgreSQL runs InTx SERIALIZABLE).
// Refusals are fault errors: ErrInvalid for the request, ErrLimit for the
// cap.
func (s *Service) Create(ctx context.Context, actor accounts.Actor, userID string, req Request) (Created, error) {
	name, err := CheckName(req.Name)
	if err != nil {
		return Created{}, err
	}
	offered, err := s.OfferedScopes(ctx)
	if err != nil {
		return Created{}, err
	}
	scopes, err := CheckScopes(req.Scopes, offered)
	if err != nil {
		return Created{}, err
	}
	i := slices.IndexFunc(Expiries, func(e Expiry) bool { return e.Value == req.Expires })
	if i < 0 {
		return Created{}, ErrInvalid.New("Choose when the token expires.")
	}
	now := s.Now().UTC()
	token, hash := New()
	rec := storage.PAT{ID: randtoken.ID(), UserID: userID, Name: name, TokenHash: hash, Scopes: scopes,
		CreatedAt: now, AMR: slices.Clone(req.AMR)}
	expires := "never"
	if d := Expiries[i].Lifetime; d > 0 {
		rec.ExpiresAt = now.Add(d)
		expires = rec.ExpiresAt.Format(time.RFC3339)
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		existing, err := s.Store.ListPATsByUser(ctx, userID)
		if err != nil {
			return fmt.Errorf("pat: list tokens of %q: %w", userID, err)
		}
		if len(existing) >= MaxTokens {
			return ErrLimit.Newf("You have %d tokens, the most allowed. Revoke one you no longer use first.", len(existing))
		}
		if err := s.Store.CreatePAT(ctx, rec); err != nil {
			return fmt.Errorf("pat: create token: %w", err)
		}
		return s.audit(ctx, actor, storage.AuditEvent{Type: "pat.created", SubjectID: userID, Details: map[string]string{
			"pat_id": rec.ID, "name": name, "scopes": strings.Join(scopes, " "), "expires": expires}})
	})
	if err != nil {
		return Created{}, err
	}
	return Created{PAT: rec, Token: token}, nil
}

// Revoke deletes the user's token and deactivates the access tokens
// exchanged for it, so they stop at introspection at once, in one
// transaction. It returns how many access tokens it deactivated; a token
// that is not userID's is fault.NotFound (and storage.ErrNotFound).
func (s *Service) Revoke(ctx context.Context, actor accounts.Actor, userID, id string) (int, error) {
	var n int
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.DeletePAT(ctx, userID, id); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return fault.Wrap(fault.NotFound, err, fmt.Sprintf("No personal access token %q.", id))
			}
			return fmt.Errorf("pat: delete token %q: %w", id, err)
		}
		var err error
		n, err = s.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: userID, RequestID: RequestID(id)})
		if err != nil {
			return fmt.Errorf("pat: deactivate tokens exchanged for %q: %w", id, err)
		}
		return s.audit(ctx, actor, storage.AuditEvent{Type: "pat.revoked", SubjectID: userID,
			Details: map[string]string{"pat_id": id, "tokens_deactivated": strconv.Itoa(n)}})
	})
	return n, err
}

func (s *Service) audit(ctx context.Context, a accounts.Actor, e storage.AuditEvent) error {
	e.ID, e.Time, e.ActorID, e.IP = randtoken.ID(), s.Now().UTC(), a.ID, a.IP
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("pat: audit %s: %w", e.Type, err)
	}
	return nil
}
