package orgsso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Errors of the service; they wrap accounts.ErrInvalid or ErrForbidden
// where those fit.
var (
	// ErrNotVerified: the DNS record was not found or does not match.
	ErrNotVerified = fault.Sentinel(fault.Invalid, "orgsso: domain not verified")
)

// TXTPrefix names the DNS record that proves a domain: a TXT record at
// _ostiary-challenge.DOMAIN whose value is TXTValuePrefix + the token.
const (
	TXTPrefix      = "_ostiary-challenge."
	TXTValuePrefix = "ostiary-domain-verification="
)

// Store is what the service keeps.
type Store interface {
	storage.OrgSSOStore
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
}

// Connectors says which connector ids exist.
type Connectors interface {
	Known(id string) bool
}

// Service applies the rules. Build it with every field set; Resolver nil
// is the system resolver.
type Service struct {
	Store      Store
	Orgs       *accounts.Organizations
	Connectors Connectors
	// Audit records every change, whichever door it came in by (the
	// organization page, the admin API, the CLI).
	Audit accounts.Auditor
	// Resolver looks up TXT records; a *net.Resolver with Dial pointed at a
	// configured server is one (NewResolver).
	Resolver interface {
		LookupTXT(ctx context.Context, name string) ([]string, error)
	}
	Now func() time.Time
}

// NewResolver is a resolver that asks the DNS server at addr (host:port)
// instead of the system's; empty addr is the system resolver.
func NewResolver(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func (s *Service) mayManage(ctx context.Context, actor accounts.Actor, orgID string) error {
	role, err := s.Orgs.ActorRole(ctx, orgID, actor)
	if err != nil {
		return err
	}
	if role != accounts.RoleOwner && role != accounts.RoleAdmin {
		return accounts.ErrForbidden.Newf("Role %q cannot change single sign-on.", role)
	}
	return nil
}

// Attach sets the organization's connector. Roles named must exist in the
// organization.
func (s *Service) Attach(ctx context.Context, actor accounts.Actor, c storage.OrgConnector) error {
	if err := s.mayManage(ctx, actor, c.OrgID); err != nil {
		return err
	}
	if !s.Connectors.Known(c.ConnectorID) {
		return accounts.ErrInvalid.Newf("Connector %q is not configured.", c.ConnectorID)
	}
	if c.DefaultRole == "" {
		c.DefaultRole = accounts.RoleMember
	}
	roles, err := s.Orgs.Roles(ctx, c.OrgID)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, r := range roles {
		known[r.Name] = true
	}
	check := func(role string) error {
		if !known[role] {
			return accounts.ErrInvalid.Newf("Role %q is not defined in the organization.", role)
		}
		if role == accounts.RoleOwner {
			return accounts.ErrInvalid.New("Signing in never makes an owner.")
		}
		return nil
	}
	if err := check(c.DefaultRole); err != nil {
		return err
	}
	for _, r := range c.GroupRoles {
		if err := check(r); err != nil {
			return err
		}
	}
	now := s.Now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	if err := s.Store.PutOrgConnector(ctx, c); err != nil {
		return fmt.Errorf("orgsso: attach connector: %w", err)
	}
	groups := make([]string, 0, len(c.GroupRoles))
	for g, r := range c.GroupRoles {
		groups = append(groups, g+"="+r)
	}
	slices.Sort(groups)
	return s.audit(ctx, actor, "org.sso_updated", c.OrgID, map[string]string{"connector": c.ConnectorID,
		"default_role": c.DefaultRole, "forbid_password": strconv.FormatBool(c.ForbidPassword), "group_roles": strings.Join(groups, ",")})
}

func (s *Service) audit(ctx context.Context, actor accounts.Actor, typ, orgID string, details map[string]string) error {
	e := storage.AuditEvent{ID: randtoken.ID(), Time: s.Now().UTC(), Type: typ, ActorID: actor.ID, SubjectID: actor.ID,
		OrgID: orgID, IP: actor.IP, Details: details}
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("orgsso: audit %s: %w", typ, err)
	}
	return nil
}

// NormalizeDomain lowercases and checks a domain name.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") {
		return "", accounts.ErrInvalid.Newf("%q is not a domain name.", d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", accounts.ErrInvalid.Newf("%q is not a domain name.", d)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", accounts.ErrInvalid.Newf("%q is not a domain name.", d)
			}
		}
	}
	return d, nil
}

// Claim records the organization's claim on domain and returns it with the
// token for its TXT record. verified (for the operator only) skips the DNS
// proof.
func (s *Service) Claim(ctx context.Context, actor accounts.Actor, orgID, domain string, verified bool) (storage.OrgDomain, error) {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return storage.OrgDomain{}, err
	}
	if verified && !accounts.IsOperator(actor) {
		return storage.OrgDomain{}, accounts.ErrForbidden.New("Only the operator sets a domain verified.")
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return storage.OrgDomain{}, err
	}
	now := s.Now().UTC()
	rec := storage.OrgDomain{Domain: d, OrgID: orgID, Token: randtoken.New(), CreatedAt: now}
	if verified {
		rec.VerifiedAt = now
	}
	if err := s.Store.CreateOrgDomain(ctx, rec); err != nil {
		return storage.OrgDomain{}, fmt.Errorf("orgsso: claim %s: %w", d, err)
	}
	return rec, s.audit(ctx, actor, "org.domain_added", orgID, map[string]string{"domain": d, "verified": strconv.FormatBool(verified)})
}

// VerifyDNS looks for the domain's TXT record and marks it verified.
func (s *Service) VerifyDNS(ctx context.Context, actor accounts.Actor, orgID, domain string) error {
	if err := s.mayManage(ctx, actor, orgID); err != nil {
		return err
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return err
	}
	rec, err := s.Store.GetOrgDomain(ctx, d)
	if err != nil || rec.OrgID != orgID {
		return fault.Wrap(fault.NotFound, storage.ErrNotFound, fmt.Sprintf("Organization %q has not claimed %s.", orgID, d))
	}
	txts, err := s.Resolver.LookupTXT(ctx, TXTPrefix+d)
	if err != nil {
		return ErrNotVerified.Wrap(err, fmt.Sprintf("The TXT record at %s%s could not be looked up.", TXTPrefix, d))
	}
	want := TXTValuePrefix + rec.Token
	for _, t := range txts {
		if strings.TrimSpace(t) == want {
			if err := s.Store.VerifyOrgDomain(ctx, orgID, d, s.Now().UTC()); err != nil {
				return fmt.Errorf("orgsso: verify %s: %w", d, err)
			}
			return s.audit(ctx, actor, "org.domain_verified", orgID, map[string]string{"domain": d, "method": "dns"})
		}
	}
	return ErrNotVerified.Newf("No TXT record %q at %s%s.", want, TXTPrefix, d)
}

// Discover returns the organization whose verified domain the address is
// in and which has a connector; ok is false otherwise.
func (s *Service) Discover(ctx context.Context, email string) (storage.OrgConnector, bool, error) {
	_, domain, found := strings.Cut(email, "@")
	if !found {
		return storage.OrgConnector{}, false, nil
	}
	d, err := s.Store.GetOrgDomain(ctx, strings.ToLower(domain))
	if errors.Is(err, storage.ErrNotFound) || err == nil && d.VerifiedAt.IsZero() {
		return storage.OrgConnector{}, false, nil
	}
	if err != nil {
		return storage.OrgConnector{}, false, fmt.Errorf("orgsso: domain of %s: %w", domain, err)
	}
	c, err := s.Store.GetOrgConnector(ctx, d.OrgID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.OrgConnector{}, false, nil
	}
	if err != nil {
		return storage.OrgConnector{}, false, fmt.Errorf("orgsso: connector of %s: %w", d.OrgID, err)
	}
	return c, true, nil
}

// PasswordForbidden reports whether the address's organization refuses
// password sign-in for it.
func (s *Service) PasswordForbidden(ctx context.Context, email string) (bool, error) {
	c, ok, err := s.Discover(ctx, email)
	return ok && c.ForbidPassword, err
}

// RoleFor is the role groups map to, or the default role.
func RoleFor(c storage.OrgConnector, groups []string) (role string, mapped bool) {
	// Of several matching groups the strongest role wins: admin over the
	// rest; otherwise the first group in the upstream's order.
	for _, g := range groups {
		if r, ok := c.GroupRoles[g]; ok && r == accounts.RoleAdmin {
			return r, true
		}
	}
	for _, g := range groups {
		if r, ok := c.GroupRoles[g]; ok {
			return r, true
		}
	}
	return c.DefaultRole, false
}

// JoinAtSignIn makes the user a member of orgID after a sign-in through
// connectorID, as Join does. An organization that has since moved to
// another connector is not joined through the one it no longer trusts; the
// sign-in itself stands.
func (s *Service) JoinAtSignIn(ctx context.Context, orgID, connectorID, userID string, groups []string) error {
	c, err := s.Store.GetOrgConnector(ctx, orgID)
	if err != nil {
		return fmt.Errorf("orgsso: organization connector: %w", err)
	}
	if c.ConnectorID != connectorID {
		return nil
	}
	_, err = s.Join(ctx, c, userID, groups)
	return err
}

// Join makes the user a member after a sign-in through the
// organization's connector: with the mapped or default role when new, and
// with the mapped role when their upstream groups say so (never changing an
// owner). It returns the membership's role.
func (s *Service) Join(ctx context.Context, c storage.OrgConnector, userID string, groups []string) (string, error) {
	role, mapped := RoleFor(c, groups)
	m, err := s.Store.GetMembership(ctx, c.OrgID, userID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		err := s.Orgs.AddMember(ctx, accounts.Actor{ID: accounts.SystemActor}, c.OrgID, userID, role)
		if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
			return "", fmt.Errorf("orgsso: join %s: %w", c.OrgID, err)
		}
		return role, nil
	case err != nil:
		return "", fmt.Errorf("orgsso: membership: %w", err)
	}
	if mapped && m.Role != role && m.Role != accounts.RoleOwner {
		if err := s.Orgs.SetRole(ctx, accounts.Actor{ID: accounts.SystemActor}, c.OrgID, userID, role); err != nil {
			return m.Role, fmt.Errorf("orgsso: set role from groups: %w", err)
		}
		return role, nil
	}
	return m.Role, nil
}
