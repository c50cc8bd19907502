package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Errors of the organization rules, besides ErrInvalid and the storage
// sentinels. They are provider/fault sentinels: a refusal is made from one
// (ErrForbidden.New(...)) with a message that says what was refused.
var (
	// ErrForbidden: the actor's role does not allow the change.
	ErrForbidden = fault.Sentinel(fault.Forbidden, "not allowed")
	// ErrLastOwner: the change would leave the organization without an owner.
	ErrLastOwner = fault.Sentinel(fault.Conflict, "an organization needs at least one owner")
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

// invitePurpose names the one-time tokens of invitations to one
// organization: a newer invitation of the same address to the same
// organization replaces the older, invitations to other organizations stay.
func invitePurpose(orgID string) string { return "invite:" + orgID }

// OrgStore is what the organization rules read and write.
type OrgStore interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	storage.OrgStore
	storage.Transactor
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	GetOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
}

// Organizations applies the rules of who may change an organization:
// owners may do everything, admins manage members and roles but cannot
// touch owners, members may look and leave. An instance administrator acts
// as an owner everywhere. The last owner can neither leave nor be demoted.
type Organizations struct {
	Store OrgStore
	// Audit records every change, in the change's transaction where there
	// is one.
	Audit Auditor
	Now   func() time.Time
}

func (o *Organizations) audit(ctx context.Context, actor Actor, typ, orgID, subjectID string, details map[string]string) error {
	if subjectID == "" {
		subjectID = actor.ID
	}
	e := storage.AuditEvent{ID: randtoken.ID(), Time: o.Now().UTC(), Type: typ, ActorID: actor.ID, SubjectID: subjectID,
		OrgID: orgID, IP: actor.IP, Details: details}
	if err := o.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// Role describes one role an organization offers.
type Role struct {
	Name        string
	Description string
	BuiltIn     bool
}

var builtInRoles = []Role{
	{Name: RoleOwner, Description: "Manages everything, including owners and deleting the organization", BuiltIn: true},
	{Name: RoleAdmin, Description: "Invites and removes members, changes roles (not owners), renames", BuiltIn: true},
	{Name: RoleMember, Description: "Belongs to the organization", BuiltIn: true},
}

// IsBuiltInRole reports owner, admin and member.
func IsBuiltInRole(name string) bool {
	for _, r := range builtInRoles {
		if r.Name == name {
			return true
		}
	}
	return false
}

// CanManage reports whether a role may manage members: owner or admin.
func CanManage(role string) bool { return role == RoleOwner || role == RoleAdmin }

// SystemActor is the actor of changes made by the operator through the CLI
// or automation: it acts as an owner everywhere. No user id has this form.
const SystemActor = "@system"

// ClientActor is the actor of an admin API client acting for itself
// (client_credentials with ostiary:admin): an operator like SystemActor,
// named in the audit log by its client id. No user id has this form.
func ClientActor(clientID string) string { return clientActorPrefix + clientID }

const clientActorPrefix = "client:"

// isOperator reports the actors that act as owners everywhere and are
// nobody's membership.
func isOperator(actorID string) bool {
	return actorID == SystemActor || strings.HasPrefix(actorID, clientActorPrefix)
}

// actorRole is the role the actor acts with in the organization: their
// membership's, or owner for an instance administrator. A non-member gets
// ErrForbidden (wrapped as not found would let them probe ids; both say
// no).
func (o *Organizations) actorRole(ctx context.Context, orgID, actorID string) (string, error) {
	if isOperator(actorID) {
		if _, err := o.Store.GetOrg(ctx, orgID); err != nil {
			return "", fmt.Errorf("organization %q: %w", orgID, err)
		}
		return RoleOwner, nil
	}
	m, err := o.Store.GetMembership(ctx, orgID, actorID)
	if err == nil {
		return m.Role, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return "", fmt.Errorf("read membership: %w", err)
	}
	u, err := o.Store.GetUser(ctx, actorID)
	if err == nil && u.Admin && !u.Disabled {
		if _, err := o.Store.GetOrg(ctx, orgID); err != nil {
			return "", fmt.Errorf("organization %q: %w", orgID, err)
		}
		return RoleOwner, nil
	}
	return "", ErrForbidden.Newf("Not a member of organization %q.", orgID)
}

// Create stores a new organization with the creator as its owner (unless
// the creator is the SystemActor).
func (o *Organizations) Create(ctx context.Context, actor Actor, name string) (storage.Organization, error) {
	org, err := newOrg(name, o.Now())
	if err != nil {
		return storage.Organization{}, err
	}
	err = o.Store.InTx(ctx, func(ctx context.Context) error {
		if err := o.Store.CreateOrg(ctx, org); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return fmt.Errorf("an organization named %q exists already: %w", org.Name, err)
			}
			return fmt.Errorf("create organization: %w", err)
		}
		// The operator creates organizations for others: they have no owner
		// until one is added.
		if !isOperator(actor.ID) {
			m := storage.Membership{OrgID: org.ID, UserID: actor.ID, Role: RoleOwner, CreatedAt: org.CreatedAt}
			if err := o.Store.AddMembership(ctx, m); err != nil {
				return fmt.Errorf("make %q the owner: %w", actor.ID, err)
			}
		}
		return o.audit(ctx, actor, "org.created", org.ID, "", map[string]string{"name": org.Name})
	})
	if err != nil {
		return storage.Organization{}, err
	}
	return org, nil
}

func newOrg(name string, now time.Time) (storage.Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 200 {
		return storage.Organization{}, ErrInvalid.New("Organization name must be 1 to 200 characters.")
	}
	now = now.UTC()
	return storage.Organization{ID: randtoken.ID(), Name: name, CreatedAt: now, UpdatedAt: now}, nil
}

// Rename changes the organization's name; owners and admins.
func (o *Organizations) Rename(ctx context.Context, actor Actor, orgID, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 200 {
		return ErrInvalid.New("Organization name must be 1 to 200 characters.")
	}
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if !CanManage(role) {
		return ErrForbidden.New("Only owners and admins rename an organization.")
	}
	err = o.Store.UpdateOrg(ctx, orgID, func(org storage.Organization) (storage.Organization, error) {
		org.Name = name
		org.UpdatedAt = o.Now().UTC()
		return org, nil
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return fmt.Errorf("an organization named %q exists already: %w", name, err)
	}
	if err != nil {
		return err
	}
	return o.audit(ctx, actor, "org.renamed", orgID, "", map[string]string{"name": name})
}

// SetRequireMFA turns the organization's second-factor requirement on or
// off: with it on, a member without two-step verification in their session
// is sent to set it up before signing in to the organization. Owners and
// admins.
func (o *Organizations) SetRequireMFA(ctx context.Context, actor Actor, orgID string, on bool) (storage.Organization, error) {
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return storage.Organization{}, err
	}
	if !CanManage(role) {
		return storage.Organization{}, ErrForbidden.New("Only owners and admins change the sign-in requirements.")
	}
	var out storage.Organization
	err = o.Store.InTx(ctx, func(ctx context.Context) error {
		err := o.Store.UpdateOrg(ctx, orgID, func(org storage.Organization) (storage.Organization, error) {
			if org.RequireMFA != on {
				org.RequireMFA = on
				org.UpdatedAt = o.Now().UTC()
			}
			out = org
			return org, nil
		})
		if err != nil {
			return fmt.Errorf("organization %q: %w", orgID, err)
		}
		return o.audit(ctx, actor, "org.require_mfa", orgID, "", map[string]string{"on": strconv.FormatBool(on)})
	})
	if err != nil {
		return storage.Organization{}, err
	}
	return out, nil
}

// Delete removes the organization once the actor, an owner, typed its name
// exactly. Every member's tokens issued for it stop working.
func (o *Organizations) Delete(ctx context.Context, actor Actor, orgID, confirmName string) error {
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if role != RoleOwner {
		return ErrForbidden.New("Only owners delete an organization.")
	}
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		org, err := o.Store.GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		if confirmName != org.Name {
			return ErrInvalid.Newf("Type the organization's name %q to confirm.", org.Name)
		}
		members, err := o.Store.ListMembersByOrg(ctx, orgID)
		if err != nil {
			return fmt.Errorf("list members: %w", err)
		}
		for _, m := range members {
			if err := o.endMembership(ctx, orgID, m.UserID); err != nil {
				return err
			}
		}
		if err := o.Store.DeleteOrg(ctx, orgID); err != nil {
			return err
		}
		return o.audit(ctx, actor, "org.deleted", orgID, "", map[string]string{"name": org.Name})
	})
}

// Roles lists what an organization offers: the built-in roles, then its own.
func (o *Organizations) Roles(ctx context.Context, orgID string) ([]Role, error) {
	custom, err := o.Store.ListOrgRoles(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out := append([]Role(nil), builtInRoles...)
	for _, r := range custom {
		out = append(out, Role{Name: r.Name, Description: r.Description})
	}
	return out, nil
}

// DefineRole adds a custom role; owners and admins.
func (o *Organizations) DefineRole(ctx context.Context, actor Actor, orgID, name, description string) error {
	if !roleName.MatchString(name) {
		return ErrInvalid.Newf("Role %q: lowercase letters, digits, '-' and '_', starting with a letter.", name)
	}
	if IsBuiltInRole(name) {
		return fmt.Errorf("%q is a built-in role: %w", name, storage.ErrAlreadyExists)
	}
	description = strings.TrimSpace(description)
	if len([]rune(description)) > 200 {
		return ErrInvalid.New("Role description must be at most 200 characters.")
	}
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if !CanManage(role) {
		return ErrForbidden.New("Only owners and admins define roles.")
	}
	err = o.Store.CreateOrgRole(ctx, storage.OrgRole{OrgID: orgID, Name: name, Description: description, CreatedAt: o.Now().UTC()})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return fmt.Errorf("the organization has a role %q already: %w", name, err)
	}
	if err != nil {
		return err
	}
	return o.audit(ctx, actor, "org.role_defined", orgID, "", map[string]string{"role": name})
}

// DeleteRole removes a custom role nobody holds; owners and admins.
func (o *Organizations) DeleteRole(ctx context.Context, actor Actor, orgID, name string) error {
	if IsBuiltInRole(name) {
		return ErrInvalid.Newf("%q is a built-in role.", name)
	}
	role, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if !CanManage(role) {
		return ErrForbidden.New("Only owners and admins delete roles.")
	}
	if err := o.Store.DeleteOrgRole(ctx, orgID, name); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("members still hold the role %q; give them another first: %w", name, err)
		}
		return err
	}
	return o.audit(ctx, actor, "org.role_deleted", orgID, "", map[string]string{"role": name})
}

// checkRole refuses a role the organization does not offer.
func (o *Organizations) checkRole(ctx context.Context, orgID, role string) error {
	if IsBuiltInRole(role) {
		return nil
	}
	custom, err := o.Store.ListOrgRoles(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	for _, r := range custom {
		if r.Name == role {
			return nil
		}
	}
	return ErrInvalid.Newf("The organization has no role %q.", role)
}

// mayAssign reports whether an actor with actorRole may give or take away
// role: only owners touch the owner role.
func mayAssign(actorRole, role string) bool {
	if !CanManage(actorRole) {
		return false
	}
	return role != RoleOwner || actorRole == RoleOwner
}

// SetRole changes a member's role. Owners and admins; only owners make or
// unmake owners; the last owner keeps the role. The new role shows in the
// member's next token (refresh re-reads the membership).
func (o *Organizations) SetRole(ctx context.Context, actor Actor, orgID, userID, role string) error {
	if err := o.checkRole(ctx, orgID, role); err != nil {
		return err
	}
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	// The owner count is read and the role written in one serializable
	// transaction: two owners demoting each other at once leave one.
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := o.Store.GetMembership(ctx, orgID, userID)
		if err != nil {
			return fmt.Errorf("member %q: %w", userID, err)
		}
		if m.Role == role {
			return nil
		}
		if !mayAssign(mine, m.Role) || !mayAssign(mine, role) {
			return ErrForbidden.Newf("Your role %q cannot change %q to %q.", mine, m.Role, role)
		}
		if m.Role == RoleOwner {
			if err := o.keepAnOwner(ctx, orgID); err != nil {
				return err
			}
		}
		if err := o.Store.UpdateMembershipRole(ctx, orgID, userID, role); err != nil {
			return err
		}
		return o.audit(ctx, actor, "member.role_changed", orgID, userID, map[string]string{"from": m.Role, "to": role})
	})
}

// AddMember gives a person a role directly, without an invitation: owners
// and admins (only owners add owners), and the operator. Unknown org or
// user wraps storage.ErrNotFound; an existing membership
// storage.ErrAlreadyExists.
func (o *Organizations) AddMember(ctx context.Context, actor Actor, orgID, userID, role string) error {
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	if err := o.checkRole(ctx, orgID, role); err != nil {
		return err
	}
	if !mayAssign(mine, role) {
		return ErrForbidden.Newf("Your role %q cannot add a member with role %q.", mine, role)
	}
	if _, err := o.Store.GetUser(ctx, userID); err != nil {
		return fmt.Errorf("user %q: %w", userID, err)
	}
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m := storage.Membership{OrgID: orgID, UserID: userID, Role: role, CreatedAt: o.Now().UTC()}
		if err := o.Store.AddMembership(ctx, m); err != nil {
			if errors.Is(err, storage.ErrAlreadyExists) {
				return fmt.Errorf("user %q is already a member of %q: %w", userID, orgID, err)
			}
			return fmt.Errorf("add membership: %w", err)
		}
		return o.audit(ctx, actor, "member.added", orgID, userID, map[string]string{"role": role})
	})
}

// keepAnOwner fails when the organization has one owner or fewer: the one
// about to lose the role is the last.
func (o *Organizations) keepAnOwner(ctx context.Context, orgID string) error {
	members, err := o.Store.ListMembersByOrg(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	owners := 0
	for _, m := range members {
		if m.Role == RoleOwner {
			owners++
		}
	}
	if owners <= 1 {
		return ErrLastOwner.New("An organization needs at least one owner: make someone else an owner first.")
	}
	return nil
}

// RemoveMember takes a person out of the organization: an owner or admin
// removing someone (admins cannot remove owners), or a member leaving
// (actor.ID == userID). The last owner cannot go. Their tokens for the
// organization stop working at once and their sessions forget it as the
// active organization.
func (o *Organizations) RemoveMember(ctx context.Context, actor Actor, orgID, userID string) error {
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return err
	}
	return o.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := o.Store.GetMembership(ctx, orgID, userID)
		if err != nil {
			return fmt.Errorf("member %q: %w", userID, err)
		}
		if actor.ID != userID && !mayAssign(mine, m.Role) {
			return ErrForbidden.Newf("Your role %q cannot remove a member with role %q.", mine, m.Role)
		}
		if m.Role == RoleOwner {
			if err := o.keepAnOwner(ctx, orgID); err != nil {
				return err
			}
		}
		if err := o.Store.DeleteMembership(ctx, orgID, userID); err != nil {
			return err
		}
		if err := o.endMembership(ctx, orgID, userID); err != nil {
			return err
		}
		typ := "member.removed"
		if actor.ID == userID {
			typ = "member.left"
		}
		return o.audit(ctx, actor, typ, orgID, userID, map[string]string{"role": m.Role})
	})
}

// endMembership stops the person's tokens issued for the organization and
// clears it from their sessions.
func (o *Organizations) endMembership(ctx context.Context, orgID, userID string) error {
	_, err := o.Store.DeactivateTokens(ctx, storage.TokenFilter{
		Subject: userID, OrgID: orgID,
		Kinds: []storage.TokenKind{storage.KindAccessToken, storage.KindRefreshToken, storage.KindAuthorizeCode},
	})
	if err != nil {
		return fmt.Errorf("end tokens of %q in %q: %w", userID, orgID, err)
	}
	sessions, err := o.Store.ListSessionsByUser(ctx, userID, o.Now())
	if err != nil {
		return fmt.Errorf("list sessions of %q: %w", userID, err)
	}
	for _, s := range sessions {
		if s.OrgID != orgID {
			continue
		}
		err := o.Store.UpdateSession(ctx, s.ID, func(s storage.Session) (storage.Session, error) {
			s.OrgID = ""
			return s, nil
		})
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("clear active organization: %w", err)
		}
	}
	return nil
}

// Invitation is what an invitation link stands for.
type Invitation struct {
	OrgID     string
	OrgName   string
	Email     string
	Role      string
	InvitedBy string
	ExpiresAt time.Time
}

type invitationData struct {
	OrgID     string `json:"org_id"`
	Role      string `json:"role"`
	InvitedBy string `json:"invited_by"`
}

// Invite creates an invitation of email into the organization with role and
// returns the secret for the link (shown to nobody but the invitee's mail).
// Owners and admins; only owners invite owners. A newer invitation of the
// same address replaces the older one.
func (o *Organizations) Invite(ctx context.Context, actor Actor, orgID, email, role string) (string, Invitation, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", Invitation{}, err
	}
	if err := o.checkRole(ctx, orgID, role); err != nil {
		return "", Invitation{}, err
	}
	mine, err := o.actorRole(ctx, orgID, actor.ID)
	if err != nil {
		return "", Invitation{}, err
	}
	if !mayAssign(mine, role) {
		return "", Invitation{}, ErrForbidden.Newf("Your role %q cannot invite with role %q.", mine, role)
	}
	org, err := o.Store.GetOrg(ctx, orgID)
	if err != nil {
		return "", Invitation{}, fmt.Errorf("organization %q: %w", orgID, err)
	}
	if u, err := o.Store.GetUserByEmail(ctx, email); err == nil {
		if _, err := o.Store.GetMembership(ctx, orgID, u.ID); err == nil {
			return "", Invitation{}, fmt.Errorf("%s is a member already: %w", email, storage.ErrAlreadyExists)
		}
	}
	data, err := json.Marshal(invitationData{OrgID: orgID, Role: role, InvitedBy: actor.ID})
	if err != nil {
		return "", Invitation{}, fmt.Errorf("encode invitation: %w", err)
	}
	secret := randtoken.New()
	now := o.Now().UTC()
	t := storage.OneTimeToken{
		TokenHash: randtoken.Hash(secret), Purpose: invitePurpose(orgID), Email: email, Data: data,
		CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime),
	}
	if err := o.Store.CreateOneTimeToken(ctx, t); err != nil {
		return "", Invitation{}, fmt.Errorf("store invitation: %w", err)
	}
	if err := o.audit(ctx, actor, "member.invited", orgID, "", map[string]string{"email": email, "role": role}); err != nil {
		return "", Invitation{}, err
	}
	return secret, Invitation{OrgID: orgID, OrgName: org.Name, Email: email, Role: role, InvitedBy: actor.ID, ExpiresAt: t.ExpiresAt}, nil
}

// ErrInvitationGone: the link is unknown, used, replaced or expired.
var ErrInvitationGone = fault.Sentinel(fault.NotFound, "this invitation is no longer valid")

// Invitation reads what a link stands for without using it up.
func (o *Organizations) Invitation(ctx context.Context, orgID, secret string) (Invitation, error) {
	t, err := o.Store.GetOneTimeToken(ctx, randtoken.Hash(secret), invitePurpose(orgID), o.Now())
	if err != nil {
		return Invitation{}, invitationErr(err)
	}
	return o.invitation(ctx, t)
}

func invitationErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%w (%w)", ErrInvitationGone, err)
	}
	return fmt.Errorf("read invitation: %w", err)
}

func (o *Organizations) invitation(ctx context.Context, t storage.OneTimeToken) (Invitation, error) {
	var d invitationData
	if err := json.Unmarshal(t.Data, &d); err != nil {
		return Invitation{}, fmt.Errorf("decode invitation: %w", err)
	}
	org, err := o.Store.GetOrg(ctx, d.OrgID)
	if err != nil {
		return Invitation{}, invitationErr(err)
	}
	return Invitation{OrgID: d.OrgID, OrgName: org.Name, Email: t.Email, Role: d.Role, InvitedBy: d.InvitedBy, ExpiresAt: t.ExpiresAt}, nil
}

// Accept uses the invitation for the person acting, whose address must be
// the invited one: the link proves they read that mailbox, not that the
// signed-in account is theirs. The link works once.
func (o *Organizations) Accept(ctx context.Context, actor Actor, orgID, secret string) (Invitation, error) {
	userID := actor.ID
	u, err := o.Store.GetUser(ctx, userID)
	if err != nil {
		return Invitation{}, fmt.Errorf("user %q: %w", userID, err)
	}
	var inv Invitation
	err = o.Store.InTx(ctx, func(ctx context.Context) error {
		t, err := o.Store.GetOneTimeToken(ctx, randtoken.Hash(secret), invitePurpose(orgID), o.Now())
		if err != nil {
			return invitationErr(err)
		}
		if !strings.EqualFold(t.Email, u.Email) {
			return ErrForbidden.Newf("The invitation is for %s; sign in with that address.", t.Email)
		}
		if _, err := o.Store.ConsumeOneTimeToken(ctx, t.TokenHash, t.Purpose, o.Now()); err != nil {
			return invitationErr(err)
		}
		if inv, err = o.invitation(ctx, t); err != nil {
			return err
		}
		// The role may have been deleted since; then the person joins as a
		// plain member rather than not at all.
		role := inv.Role
		if o.checkRole(ctx, orgID, role) != nil {
			role = RoleMember
		}
		m := storage.Membership{OrgID: inv.OrgID, UserID: userID, Role: role, CreatedAt: o.Now().UTC()}
		if err := o.Store.AddMembership(ctx, m); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("add membership: %w", err)
		}
		inv.Role = role
		return o.audit(ctx, actor, "member.joined", orgID, userID, map[string]string{"role": role, "invited_by": inv.InvitedBy})
	})
	return inv, err
}

// IsOperator reports whether the actor is an instance administrator (the
// CLI's operator or an admin API client acting for itself), for rules that
// only the instance may apply.
func IsOperator(a Actor) bool { return isOperator(a.ID) }
