package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/attributes"
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
	// Attributes is the instance's attribute rules; nil checks the bounds
	// only.
	Attributes *attributes.Policy
	Now        func() time.Time
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
	return o.setRequirement(ctx, actor, orgID, "org.require_mfa", on,
		func(org *storage.Organization) *bool { return &org.RequireMFA })
}

// SetRequirePasskey turns the organization's passkey requirement on or
// off: with it on, a member whose session was not signed in with a passkey
// (a phishing-resistant factor, acr.PhishingResistant) is sent to the
// step-up page before signing in to the organization, and grants made
// without one stop refreshing. Owners and admins.
func (o *Organizations) SetRequirePasskey(ctx context.Context, actor Actor, orgID string, on bool) (storage.Organization, error) {
	return o.setRequirement(ctx, actor, orgID, "org.require_passkey", on,
		func(org *storage.Organization) *bool { return &org.RequirePasskey })
}

// setRequirement sets the sign-in requirement flag picks out and audits
// event, in one transaction.
func (o *Organizations) setRequirement(ctx context.Context, actor Actor, orgID, event string, on bool,
	flag func(*storage.Organization) *bool) (storage.Organization, error) {
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
			if f := flag(&org); *f != on {
				*f = on
				org.UpdatedAt = o.Now().UTC()
			}
			out = org
			return org, nil
		})
		if err != nil {
			return fmt.Errorf("organization %q: %w", orgID, err)
		}
		return o.audit(ctx, actor, event, orgID, "", map[string]string{"on": strconv.FormatBool(on)})
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
