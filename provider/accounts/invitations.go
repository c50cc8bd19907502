package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

// invitePurpose names the one-time tokens of invitations to one
// organization: a newer invitation of the same address to the same
// organization replaces the older, invitations to other organizations stay.
func invitePurpose(orgID string) string { return "invite:" + orgID }

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

// Accept uses the invitation for the user acting, whose address must be
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
		// The role may have been deleted since; then the user joins as a
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
