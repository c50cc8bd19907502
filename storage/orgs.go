package storage

import (
	"context"
	"time"
)

// Organization groups users; each member has a role in it.
type Organization struct {
	ID   string
	Name string
	// RequireMFA: members must have a second factor to sign in to this
	// organization.
	RequireMFA bool
	// RequirePasskey: members must sign in to this organization with a
	// phishing-resistant factor (a passkey; acr.PhishingResistant).
	RequirePasskey bool
	// Attributes is the administrator-set JSON object (nil = none).
	Attributes map[string]any
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Membership is a user's role in one organization.
type Membership struct {
	OrgID  string
	UserID string
	Role   string
	// OrgName is filled in by reads for display and token claims.
	OrgName string
	// OrgRequireMFA is the organization's current RequireMFA, filled in by
	// reads so a refresh checks it without a second query.
	OrgRequireMFA bool
	// OrgRequirePasskey is the organization's current RequirePasskey,
	// filled in by reads like OrgRequireMFA.
	OrgRequirePasskey bool
	// Attributes is the administrator-set JSON object of this membership
	// (nil = none).
	Attributes map[string]any
	CreatedAt  time.Time
}

// OrgStore keeps organizations and memberships.
type OrgStore interface {
	// CreateOrg returns ErrAlreadyExists if the id or the name is taken.
	CreateOrg(ctx context.Context, o Organization) error
	// GetOrg returns ErrNotFound.
	GetOrg(ctx context.Context, id string) (Organization, error)
	// ListOrgs returns every organization ordered by name.
	ListOrgs(ctx context.Context) ([]Organization, error)
	// UpdateOrg applies fn atomically. ErrNotFound; ErrAlreadyExists on a
	// taken name.
	UpdateOrg(ctx context.Context, id string, fn func(Organization) (Organization, error)) error
	// DeleteOrg removes the organization and its memberships. ErrNotFound.
	DeleteOrg(ctx context.Context, id string) error

	// AddMembership returns ErrNotFound if the org or user does not exist,
	// ErrAlreadyExists if the user is a member already.
	AddMembership(ctx context.Context, m Membership) error
	// GetMembership returns ErrNotFound. OrgName, OrgRequireMFA and
	// OrgRequirePasskey are
	// filled in.
	GetMembership(ctx context.Context, orgID, userID string) (Membership, error)
	// ListMembershipsByUser returns the user's memberships ordered by
	// organization name, with OrgName and OrgRequireMFA filled in.
	ListMembershipsByUser(ctx context.Context, userID string) ([]Membership, error)
	// ListMembersByOrg returns the organization's memberships ordered by
	// creation time, with OrgName and OrgRequireMFA filled in.
	ListMembersByOrg(ctx context.Context, orgID string) ([]Membership, error)
	// UpdateMembershipRole changes the role. ErrNotFound.
	UpdateMembershipRole(ctx context.Context, orgID, userID, role string) error
	// UpdateMembership applies fn atomically and stores the returned Role
	// and Attributes (the other fields are read-only here). ErrNotFound;
	// errors from fn are returned unchanged.
	UpdateMembership(ctx context.Context, orgID, userID string, fn func(Membership) (Membership, error)) error
	// DeleteMembership returns ErrNotFound.
	DeleteMembership(ctx context.Context, orgID, userID string) error

	// CreateOrgRole defines a custom role. ErrNotFound if the organization
	// does not exist; ErrAlreadyExists if it defines the role already.
	CreateOrgRole(ctx context.Context, r OrgRole) error
	// ListOrgRoles returns the organization's custom roles ordered by name.
	ListOrgRoles(ctx context.Context, orgID string) ([]OrgRole, error)
	// DeleteOrgRole removes a custom role. ErrNotFound; ErrConflict while a
	// member still holds it.
	DeleteOrgRole(ctx context.Context, orgID, name string) error
}

// OrgRole is a role an organization defines beyond the built-in owner,
// admin and member. It grants nothing inside Ostiary; applications read it
// from the org_role claim.
type OrgRole struct {
	OrgID       string
	Name        string
	Description string
	CreatedAt   time.Time
}
