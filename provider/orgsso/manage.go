package orgsso

import (
	"context"
	"errors"
	"fmt"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
)

// Settings is an organization's single sign-on as a whole: its connector
// (nil when none is attached) and its claimed domains.
type Settings struct {
	Connector *storage.OrgConnector
	Domains   []storage.OrgDomain
}

// Settings returns the organization's connector and domains; the caller
// must be allowed to manage them (the domain tokens are in it).
func (s *Service) Settings(ctx context.Context, actor accounts.Actor, orgID string) (Settings, error) {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return Settings{}, err
	}
	var out Settings
	c, err := s.Store.GetOrgConnector(ctx, orgID)
	switch {
	case err == nil:
		out.Connector = &c
	case !errors.Is(err, storage.ErrNotFound):
		return Settings{}, fmt.Errorf("orgsso: connector of %s: %w", orgID, err)
	}
	if out.Domains, err = s.Store.ListOrgDomains(ctx, orgID); err != nil {
		return Settings{}, fmt.Errorf("orgsso: domains of %s: %w", orgID, err)
	}
	return out, nil
}

// Detach removes the organization's connector: its domains then send
// nobody upstream and password sign-in is allowed again. The claimed
// domains stay, so attaching a connector later needs no new DNS proof.
// storage.ErrNotFound when none is attached.
func (s *Service) Detach(ctx context.Context, actor accounts.Actor, orgID string) error {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return err
	}
	if err := s.Store.DeleteOrgConnector(ctx, orgID); err != nil {
		return fmt.Errorf("orgsso: detach connector of %s: %w", orgID, err)
	}
	return s.audit(ctx, actor, "org.sso_detached", orgID, nil)
}

// RemoveDomain gives up the organization's claim on domain (verified or
// not), so another organization may claim it. storage.ErrNotFound when the
// organization has not claimed it.
func (s *Service) RemoveDomain(ctx context.Context, actor accounts.Actor, orgID, domain string) error {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return err
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteOrgDomain(ctx, orgID, d); err != nil {
		return fmt.Errorf("orgsso: remove %s from %s: %w", d, orgID, err)
	}
	return s.audit(ctx, actor, "org.domain_removed", orgID, map[string]string{"domain": d})
}

// MarkVerified sets an already claimed domain verified without the DNS
// check; only an instance administrator vouches for a domain that way.
func (s *Service) MarkVerified(ctx context.Context, actor accounts.Actor, orgID, domain string) error {
	if !accounts.IsOperator(actor) {
		return accounts.ErrForbidden.New("Only the operator sets a domain verified.")
	}
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return err
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return err
	}
	if err := s.Store.VerifyOrgDomain(ctx, orgID, d, s.Now().UTC()); err != nil {
		return fmt.Errorf("orgsso: verify %s of %s: %w", d, orgID, err)
	}
	return s.audit(ctx, actor, "org.domain_verified", orgID, map[string]string{"domain": d, "method": "operator"})
}
