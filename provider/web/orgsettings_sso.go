package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type orgSSOView struct {
	Connectors     []selectOption
	Roles          []selectOption
	GroupRoles     string
	ForbidPassword bool
	Domains        []domainView
}

type selectOption struct {
	ID, Name string
	Selected bool
}

type domainView struct {
	Domain, TXTName, TXTValue string
	Verified                  bool
}

func (p *Pages) orgSSOOn() bool { return p.federationOn() && p.Federation.Orgs != nil }

// fillOrgSSO shows the organization's single sign-on to its owners and
// admins.
func (p *Pages) fillOrgSSO(ctx context.Context, data *orgSettingsPage, orgID string) error {
	if !p.orgSSOOn() || len(p.Federation.Connectors.Enabled()) == 0 {
		return nil
	}
	svc := p.Federation.Orgs
	oc, err := svc.Store.GetOrgConnector(ctx, orgID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("web: organization connector: %w", err)
	}
	if oc.DefaultRole == "" {
		oc.DefaultRole = accounts.RoleMember
	}
	v := &orgSSOView{ForbidPassword: oc.ForbidPassword}
	for _, c := range p.Federation.Connectors.Enabled() {
		cfg := c.Config()
		v.Connectors = append(v.Connectors, selectOption{ID: cfg.ID, Name: cfg.Name, Selected: cfg.ID == oc.ConnectorID})
	}
	for _, r := range data.Roles {
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
	domains, err := svc.Store.ListOrgDomains(ctx, orgID)
	if err != nil {
		return fmt.Errorf("web: list domains: %w", err)
	}
	for _, d := range domains {
		v.Domains = append(v.Domains, domainView{Domain: d.Domain, Verified: !d.VerifiedAt.IsZero(),
			TXTName: orgsso.TXTPrefix + d.Domain, TXTValue: orgsso.TXTValuePrefix + d.Token})
	}
	data.SSO = v
	return nil
}

// orgSSOAction applies a single sign-on form; orgsso.Service checks the
// actor's role.
func (p *Pages) orgSSOAction(ctx context.Context, r *http.Request, actor accounts.Actor, orgID string) (string, error) {
	if !p.orgSSOOn() {
		return "", page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}
	svc := p.Federation.Orgs
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
		return "sso_saved", svc.Attach(ctx, actor, storage.OrgConnector{OrgID: orgID, ConnectorID: f("connector"),
			DefaultRole: f("default_role"), ForbidPassword: f("forbid_password") != "", GroupRoles: roles})
	case "domain_add":
		_, err := svc.Claim(ctx, actor, orgID, f("domain"), false)
		return "domain_added", err
	default:
		err := svc.VerifyDNS(ctx, actor, orgID, f("domain"))
		if errors.Is(err, orgsso.ErrNotVerified) {
			return "", accounts.ErrInvalid.New("The TXT record was not found yet; DNS changes can take a while to show.")
		}
		return "domain_ok", err
	}
}
