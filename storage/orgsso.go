package storage

import (
	"context"
	"time"
)

// OrgConnector is an organization's enterprise single sign-on: the
// connector its users sign in with and how they join.
type OrgConnector struct {
	OrgID       string
	ConnectorID string
	// DefaultRole is the role of a user who joins by signing in.
	DefaultRole string
	// ForbidPassword refuses password sign-in for addresses of the
	// organization's verified domains.
	ForbidPassword bool
	// GroupRoles maps an upstream group to a role in the organization.
	GroupRoles map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OrgDomain is an email domain an organization claims. It counts only once
// verified (a DNS TXT record with Token, or an instance administrator).
type OrgDomain struct {
	// Domain is lowercase, without a trailing dot; unique across
	// organizations.
	Domain     string
	OrgID      string
	Token      string
	VerifiedAt time.Time
	CreatedAt  time.Time
}

// OrgSSOStore keeps organizations' single sign-on settings and domains.
type OrgSSOStore interface {
	// PutOrgConnector creates or replaces the organization's connector.
	// ErrNotFound if the organization does not exist.
	PutOrgConnector(ctx context.Context, c OrgConnector) error
	// GetOrgConnector returns ErrNotFound.
	GetOrgConnector(ctx context.Context, orgID string) (OrgConnector, error)
	// DeleteOrgConnector returns ErrNotFound.
	DeleteOrgConnector(ctx context.Context, orgID string) error

	// CreateOrgDomain returns ErrAlreadyExists if any organization claims
	// the domain, ErrNotFound if the organization does not exist.
	CreateOrgDomain(ctx context.Context, d OrgDomain) error
	// GetOrgDomain returns ErrNotFound.
	GetOrgDomain(ctx context.Context, domain string) (OrgDomain, error)
	// ListOrgDomains returns the organization's domains ordered by name.
	ListOrgDomains(ctx context.Context, orgID string) ([]OrgDomain, error)
	// VerifyOrgDomain marks the organization's domain verified at at.
	// ErrNotFound, also for another organization's domain.
	VerifyOrgDomain(ctx context.Context, orgID, domain string, at time.Time) error
	// DeleteOrgDomain returns ErrNotFound, also for another organization's.
	DeleteOrgDomain(ctx context.Context, orgID, domain string) error
}
