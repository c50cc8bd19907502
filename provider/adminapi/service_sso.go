package adminapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/storage"
)

// ConnectorRegistry is the file's and the run-time upstream connectors
// (*connectors.Registry): it seals run-time secrets and never lists them.
type ConnectorRegistry interface {
	List(ctx context.Context) ([]connectors.Listed, error)
	Create(ctx context.Context, c connectors.Config) error
	Delete(ctx context.Context, id string) error
}

// The connector and organization single sign-on operations. The rules are
// connectors' and orgsso's; neither audits, so every change is audited
// here, after it succeeded.

// ListConnectors returns every connector, without secrets.
func (s *Service) ListConnectors(ctx context.Context) ([]connectors.Listed, error) {
	return s.Connectors.List(ctx)
}

// GetConnector returns the connector (without its secret);
// storage.ErrNotFound.
func (s *Service) GetConnector(ctx context.Context, id string) (connectors.Listed, error) {
	list, err := s.Connectors.List(ctx)
	if err != nil {
		return connectors.Listed{}, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return connectors.Listed{}, notFound(fmt.Sprintf("No connector %q.", id))
}

// CreateConnector adds a run-time connector; its client secret is sealed
// by the registry and answered by nobody.
func (s *Service) CreateConnector(ctx context.Context, a accounts.Actor, c connectors.Config) (connectors.Listed, error) {
	c.ID = strings.TrimSpace(c.ID)
	if err := s.Connectors.Create(ctx, c); err != nil {
		return connectors.Listed{}, err
	}
	if err := s.audit(ctx, a, storage.AuditEvent{Type: "connector.created",
		Details: map[string]string{"connector": c.ID, "type": c.Type, "name": c.Name}}); err != nil {
		return connectors.Listed{}, err
	}
	return s.GetConnector(ctx, c.ID)
}

// ErrConnectorInUse: an organization still signs in with the connector.
var ErrConnectorInUse = fault.Sentinel(fault.Conflict, "connector in use")

// DeleteConnector removes a run-time connector, refused while an
// organization has it attached (its domains would send users to a
// connector that no longer exists).
func (s *Service) DeleteConnector(ctx context.Context, a accounts.Actor, id string) error {
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("list organizations: %w", err)
	}
	for _, o := range orgs {
		oc, err := s.SSO.Store.GetOrgConnector(ctx, o.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("connector of %s: %w", o.ID, err)
		}
		if oc.ConnectorID == id {
			return ErrConnectorInUse.Newf("Organization %s signs in with %q; detach it first.", o.ID, id)
		}
	}
	if err := s.Connectors.Delete(ctx, id); err != nil {
		return err
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "connector.deleted", Details: map[string]string{"connector": id}})
}

// OrgSSO returns the organization's single sign-on settings.
func (s *Service) OrgSSO(ctx context.Context, a accounts.Actor, orgID string) (orgsso.Settings, error) {
	return s.SSO.Settings(ctx, a, orgID)
}

// SetOrgSSO attaches (or replaces) the organization's connector with its
// default role, password rule and group mapping.
func (s *Service) SetOrgSSO(ctx context.Context, a accounts.Actor, c storage.OrgConnector) (orgsso.Settings, error) {
	if c.ConnectorID == "" {
		return orgsso.Settings{}, ErrInvalid.New("Connector is required.")
	}
	if err := s.SSO.Attach(ctx, a, c); err != nil {
		return orgsso.Settings{}, err
	}
	return s.SSO.Settings(ctx, a, c.OrgID)
}

// DetachOrgSSO removes the organization's connector; its domains stay.
func (s *Service) DetachOrgSSO(ctx context.Context, a accounts.Actor, orgID string) error {
	return s.SSO.Detach(ctx, a, orgID)
}

// AddOrgDomain claims domain for the organization; verified (operators
// only) skips the DNS proof.
func (s *Service) AddOrgDomain(ctx context.Context, a accounts.Actor, orgID, domain string, verified bool) (storage.OrgDomain, error) {
	return s.SSO.Claim(ctx, a, orgID, domain, verified)
}

// VerifyOrgDomain proves the claimed domain by its DNS TXT record, or with
// byOperator marks it verified on an instance administrator's word.
func (s *Service) VerifyOrgDomain(ctx context.Context, a accounts.Actor, orgID, domain string, byOperator bool) (storage.OrgDomain, error) {
	var err error
	if byOperator {
		err = s.SSO.MarkVerified(ctx, a, orgID, domain)
	} else {
		err = s.SSO.VerifyDNS(ctx, a, orgID, domain)
	}
	if err != nil {
		return storage.OrgDomain{}, err
	}
	d, err := orgsso.NormalizeDomain(domain)
	if err != nil {
		return storage.OrgDomain{}, err
	}
	rec, err := s.SSO.Store.GetOrgDomain(ctx, d)
	if err != nil {
		return storage.OrgDomain{}, fmt.Errorf("domain %s: %w", d, err)
	}
	return rec, nil
}

// RemoveOrgDomain gives up the organization's claim on domain.
func (s *Service) RemoveOrgDomain(ctx context.Context, a accounts.Actor, orgID, domain string) error {
	return s.SSO.RemoveDomain(ctx, a, orgID, domain)
}
