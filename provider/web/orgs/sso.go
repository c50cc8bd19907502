package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// SingleSignOn is the single sign-on part of an organization's page: the
// panel its owners and admins see and the forms it posts (sso_set,
// domain_add, domain_verify). *SSO is the one implementation; an instance
// without organization single sign-on leaves Pages.SSO nil, and New puts
// the part that shows nothing and refuses the forms in its place.
type SingleSignOn interface {
	panel(ctx context.Context, orgID string, roles []accounts.Role) (*ssoPanel, error)
	apply(ctx context.Context, r *http.Request, actor accounts.Actor, orgID string) (string, error)
}

// Connectors are the upstream identity providers an organization may sign
// in through (*connectors.Registry is one).
type Connectors interface {
	Enabled() []connectors.Connector
}

// SSO is organizations' single sign-on through an upstream identity
// provider, with the email domains they verified (provider/orgsso).
type SSO struct {
	Service    *orgsso.Service
	Connectors Connectors
}

type ssoPanel struct {
	// SAML is what the identity provider's administrator needs when the
	// organization's connector is a SAML one.
	SAML           *samlView
	Connectors     []selectOption
	Roles          []selectOption
	GroupRoles     string
	ForbidPassword bool
	Domains        []domainView
}

type samlView struct {
	Name, EntityID, ACSURL string
}

type selectOption struct {
	ID, Name string
	Selected bool
}

type domainView struct {
	Domain, TXTName, TXTValue string
	Verified                  bool
}

// panel shows the organization's single sign-on, while the instance has an
// enabled upstream identity provider to choose.
func (s *SSO) panel(ctx context.Context, orgID string, roles []accounts.Role) (*ssoPanel, error) {
	enabled := s.Connectors.Enabled()
	if len(enabled) == 0 {
		return nil, nil
	}
	oc, err := s.Service.Store.GetOrgConnector(ctx, orgID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("orgs: organization connector: %w", err)
	}
	if oc.DefaultRole == "" {
		oc.DefaultRole = accounts.RoleMember
	}
	v := &ssoPanel{ForbidPassword: oc.ForbidPassword}
	for _, c := range enabled {
		cfg := c.Config()
		v.Connectors = append(v.Connectors, selectOption{ID: cfg.ID, Name: cfg.Name, Selected: cfg.ID == oc.ConnectorID})
		if s, ok := c.(*connectors.SAMLConnector); ok && cfg.ID == oc.ConnectorID {
			v.SAML = &samlView{Name: cfg.Name, EntityID: s.EntityID(), ACSURL: s.ACSURL()}
		}
	}
	for _, r := range roles {
		if r.Name != accounts.RoleOwner {
			v.Roles = append(v.Roles, selectOption{ID: r.Name, Name: r.Name, Selected: r.Name == oc.DefaultRole})
		}
	}
	groups := make([]string, 0, len(oc.GroupRoles))
	for g, r := range oc.GroupRoles {
		groups = append(groups, g+"="+r)
	}
	sort.Strings(groups)
	v.GroupRoles = strings.Join(groups, "\n")
	domains, err := s.Service.Store.ListOrgDomains(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("orgs: list domains: %w", err)
	}
	for _, d := range domains {
		v.Domains = append(v.Domains, domainView{Domain: d.Domain, Verified: !d.VerifiedAt.IsZero(),
			TXTName: orgsso.TXTPrefix + d.Domain, TXTValue: orgsso.TXTValuePrefix + d.Token})
	}
	return v, nil
}

// apply applies a single sign-on form; orgsso.Service checks the actor's
// role.
func (s *SSO) apply(ctx context.Context, r *http.Request, actor accounts.Actor, orgID string) (string, error) {
	f := r.PostFormValue
	switch f("action") {
	case "sso_set":
		roles := map[string]string{}
		for _, line := range strings.Split(f("group_roles"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			g, role, ok := strings.Cut(line, "=")
			if !ok || strings.TrimSpace(g) == "" || strings.TrimSpace(role) == "" {
				return "", accounts.ErrInvalid.Newf("Write each group mapping as group=role, not %q.", line)
			}
			roles[strings.TrimSpace(g)] = strings.TrimSpace(role)
		}
		return "sso_saved", s.Service.Attach(ctx, actor, storage.OrgConnector{OrgID: orgID, ConnectorID: f("connector"),
			DefaultRole: f("default_role"), ForbidPassword: f("forbid_password") != "", GroupRoles: roles})
	case "domain_add":
		_, err := s.Service.Claim(ctx, actor, orgID, f("domain"), false)
		return "domain_added", err
	default:
		err := s.Service.VerifyDNS(ctx, actor, orgID, f("domain"))
		if errors.Is(err, orgsso.ErrNotVerified) {
			return "", accounts.ErrInvalid.New("The TXT record was not found yet; DNS changes can take a while to show.")
		}
		return "domain_ok", err
	}
}

// noSSO is an instance without organization single sign-on: no panel, and
// its forms are not found.
type noSSO struct{}

func (noSSO) panel(context.Context, string, []accounts.Role) (*ssoPanel, error) { return nil, nil }

func (noSSO) apply(context.Context, *http.Request, accounts.Actor, string) (string, error) {
	return "", page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
}
