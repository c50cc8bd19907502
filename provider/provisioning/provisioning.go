package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Errors of the provisioning rules.
var (
	// ErrUnauthorized: no token, or not the organization's.
	ErrUnauthorized = errors.New("provisioning: not the organization's SCIM token")
	// ErrInvalid: the input breaks a rule; the message says which.
	ErrInvalid = fault.Sentinel(fault.Invalid, "invalid")
	// ErrConflict: a user with that userName exists in the organization
	// already (RFC 7644 §3.3, scimType uniqueness).
	ErrConflict = fault.Sentinel(fault.Conflict, "already exists")
	// ErrMutability: the change touches what the organization cannot
	// change (the address of an account it does not own).
	ErrMutability = fault.Sentinel(fault.Invalid, "attribute cannot be changed")
	// ErrNotFound: no such user or group in the organization.
	ErrNotFound = fault.Sentinel(fault.NotFound, "not found")
)

// TokenPrefix starts every SCIM token, so that a leaked one is recognised.
const TokenPrefix = "ostscim_"

// Store is what the rules read and write besides what accounts does.
type Store interface {
	storage.ScimStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	GetOrgConnector(ctx context.Context, orgID string) (storage.OrgConnector, error)
	storage.Transactor
}

// Service applies the provisioning rules.
type Service struct {
	Store Store
	Users *accounts.Users
	Orgs  *accounts.Organizations
	// Audit records every change in the change's transaction.
	Audit accounts.Auditor
	Now   func() time.Time
}

func (s *Service) audit(ctx context.Context, actor accounts.Actor, typ, orgID, subjectID string, details map[string]string) error {
	if subjectID == "" {
		subjectID = actor.ID
	}
	e := storage.AuditEvent{ID: randtoken.ID(), Time: s.Now().UTC(), Type: typ, ActorID: actor.ID, SubjectID: subjectID,
		OrgID: orgID, IP: actor.IP, Details: details}
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// Token is what the organization's settings show of its SCIM token.
type Token struct {
	CreatedBy string
	CreatedAt time.Time
}

// mayManage refuses an actor who is not an owner or admin of the
// organization (or an instance administrator).
func (s *Service) mayManage(ctx context.Context, actor accounts.Actor, orgID string) error {
	role, err := s.Orgs.ActorRole(ctx, orgID, actor)
	if err != nil {
		return err
	}
	if !accounts.CanManage(role) || strings.HasPrefix(actor.ID, "scim:") {
		return accounts.ErrForbidden.New("Only owners and admins manage the organization's SCIM token.")
	}
	return nil
}

// TokenInfo says whether the organization has a SCIM token, and since when.
func (s *Service) TokenInfo(ctx context.Context, actor accounts.Actor, orgID string) (Token, bool, error) {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return Token{}, false, err
	}
	t, err := s.Store.GetScimToken(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, err
	}
	return Token{CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}, true, nil
}

// CreateToken makes a new SCIM token for the organization, replacing the
// one it had, and returns it: the only time it is shown. Owners and
// admins.
func (s *Service) CreateToken(ctx context.Context, actor accounts.Actor, orgID string) (string, error) {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return "", err
	}
	secret := TokenPrefix + randtoken.New()
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		_, err := s.Store.GetScimToken(ctx, orgID)
		replaced := err == nil
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		t := storage.ScimToken{OrgID: orgID, Hash: randtoken.Hash(secret), CreatedBy: actor.ID, CreatedAt: s.Now().UTC()}
		if err := s.Store.PutScimToken(ctx, t); err != nil {
			return fmt.Errorf("store SCIM token: %w", err)
		}
		return s.audit(ctx, actor, "scim.token_created", orgID, "", map[string]string{"replaced": fmt.Sprint(replaced)})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// RevokeToken removes the organization's SCIM token: its next request is
// refused. Owners and admins. No token wraps storage.ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, actor accounts.Actor, orgID string) error {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.DeleteScimToken(ctx, orgID); err != nil {
			return fmt.Errorf("organization %q has no SCIM token: %w", orgID, err)
		}
		return s.audit(ctx, actor, "scim.token_revoked", orgID, "", nil)
	})
}

// Authenticate checks a bearer token against the organization's SCIM
// token, by SHA-256 in constant time. Any mismatch, unknown organization
// or missing token is ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, orgID, secret string) error {
	t, err := s.Store.GetScimToken(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		// Still hash and compare, so a missing token costs what a wrong one does.
		randtoken.Equal(make([]byte, 32), secret)
		return ErrUnauthorized
	}
	if err != nil {
		return err
	}
	if secret == "" || !randtoken.Equal(t.Hash, secret) {
		return ErrUnauthorized
	}
	return nil
}

// Actor is the SCIM client of the organization, as audit records name it.
func Actor(orgID, ip string) accounts.Actor {
	return accounts.Actor{ID: accounts.ScimActor(orgID), IP: ip}
}
