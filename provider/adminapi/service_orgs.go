package adminapi

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// CreateOrg creates an organization (without an owner when an operator
// creates it, as the CLI does) and optionally requires a second factor.
func (s *Service) CreateOrg(ctx context.Context, a accounts.Actor, name string, requireMFA bool) (storage.Organization, error) {
	o, err := s.Orgs.Create(ctx, a, name)
	if err != nil || !requireMFA {
		return o, err
	}
	return s.Orgs.SetRequireMFA(ctx, a, o.ID, true)
}

// GetOrg returns storage.ErrNotFound.
func (s *Service) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	o, err := s.Store.GetOrg(ctx, id)
	if err != nil {
		return storage.Organization{}, fmt.Errorf("organization %q: %w", id, err)
	}
	return o, nil
}

// OrgPatch changes an organization; nil fields stay.
type OrgPatch struct {
	Name       *string `json:"name,omitempty"`
	RequireMFA *bool   `json:"require_mfa,omitempty"`
	// RequirePasskey: members sign in with a passkey (acr phr).
	RequirePasskey *bool `json:"require_passkey,omitempty"`
	AttributesPatch
}

// UpdateOrg renames and/or sets the second-factor and passkey
// requirements, with the organization rules of accounts.
func (s *Service) UpdateOrg(ctx context.Context, a accounts.Actor, id string, p OrgPatch) (storage.Organization, error) {
	attrs, setAttrs, err := p.change()
	if err != nil {
		return storage.Organization{}, err
	}
	if p.Name == nil && p.RequireMFA == nil && p.RequirePasskey == nil && !setAttrs {
		return storage.Organization{}, ErrInvalid.New("Nothing to change (name, require_mfa, require_passkey or attributes).")
	}
	if p.Name != nil {
		if err := s.Orgs.Rename(ctx, a, id, *p.Name); err != nil {
			return storage.Organization{}, err
		}
	}
	if p.RequireMFA != nil {
		if _, err := s.Orgs.SetRequireMFA(ctx, a, id, *p.RequireMFA); err != nil {
			return storage.Organization{}, err
		}
	}
	if p.RequirePasskey != nil {
		if _, err := s.Orgs.SetRequirePasskey(ctx, a, id, *p.RequirePasskey); err != nil {
			return storage.Organization{}, err
		}
	}
	if setAttrs {
		if _, err := s.Orgs.SetAttributes(ctx, a, id, attrs); err != nil {
			return storage.Organization{}, err
		}
	}
	return s.GetOrg(ctx, id)
}

// Members lists the organization's members; ErrNotFound for no such
// organization.
func (s *Service) Members(ctx context.Context, orgID string) ([]storage.Membership, error) {
	if _, err := s.GetOrg(ctx, orgID); err != nil {
		return nil, err
	}
	ms, err := s.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return ms, nil
}
