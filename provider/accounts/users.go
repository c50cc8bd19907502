package accounts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// UsersStore is what the user rules read and write.
type UsersStore interface {
	CreateUser(ctx context.Context, u storage.User) error
	GetUser(ctx context.Context, id string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	DeleteUser(ctx context.Context, id string) error
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	RevokeStore
	storage.Transactor
}

// Auditor records security events.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Users creates, disables, enables and deletes users, corrects their
// address, and ends everything a user is signed in with. The same rules
// hold for the CLI, the admin API, registration and import, and the user's
// own account page.
type Users struct {
	Store UsersStore
	// Policy is the password policy; the zero value is the default.
	Policy Policy
	// Audit is written in the same transaction as the change, so it must
	// be the store itself or write through it.
	Audit Auditor
	// Notifier may be nil: then no client hears of ended sessions.
	Notifier LogoutNotifier
	// Attributes is the instance's attribute rules; nil checks the bounds
	// only and lets a person edit no key.
	Attributes *attributes.Policy
	Now        func() time.Time
}

// Actor says who makes a change, for the audit record.
type Actor struct {
	ID string
	IP string
}

// EndSessions signs the user out everywhere but exceptSessionID (empty:
// everywhere), as EndOtherSessions does, records who did it, and returns
// how many sessions ended.
func (p *Users) EndSessions(ctx context.Context, actor Actor, userID, exceptSessionID string) (int, error) {
	var ended []storage.Session
	err := p.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := p.Store.GetUser(ctx, userID); err != nil {
			return fmt.Errorf("user %q: %w", userID, err)
		}
		var err error
		if ended, _, err = endAccess(ctx, p.Store, userID, exceptSessionID); err != nil {
			return err
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.sessions_ended", ActorID: actor.ID, SubjectID: userID, IP: actor.IP,
			Details: map[string]string{"sessions": strconv.Itoa(len(ended))}})
	})
	if err != nil {
		return 0, err
	}
	p.notify(ctx, userID, ended)
	return len(ended), nil
}

// endAll ends the sessions and tokens inside the caller's transaction; the
// caller notifies once it has committed.
func (p *Users) endAll(ctx context.Context, userID string) ([]storage.Session, error) {
	ended, _, err := endAccess(ctx, p.Store, userID, "")
	return ended, err
}

func (p *Users) notify(ctx context.Context, userID string, ended []storage.Session) {
	notifyEnded(ctx, p.Notifier, userID, ended)
}

// Disable stops the user from signing in and ends, at once, every
// session and token they have.
func (p *Users) Disable(ctx context.Context, actor Actor, userID string) error {
	var ended []storage.Session
	err := p.Store.InTx(ctx, func(ctx context.Context) error {
		if err := p.setDisabled(ctx, userID, true); err != nil {
			return err
		}
		var err error
		if ended, err = p.endAll(ctx, userID); err != nil {
			return err
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.disabled", ActorID: actor.ID, SubjectID: userID, IP: actor.IP})
	})
	if err != nil {
		return err
	}
	p.notify(ctx, userID, ended)
	return nil
}

// Enable lets a disabled user sign in again.
func (p *Users) Enable(ctx context.Context, actor Actor, userID string) error {
	return p.Store.InTx(ctx, func(ctx context.Context) error {
		if err := p.setDisabled(ctx, userID, false); err != nil {
			return err
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.enabled", ActorID: actor.ID, SubjectID: userID, IP: actor.IP})
	})
}

// SetEmail is an operator's correction of a user's address: normalized,
// confirmed only when verified says so, audited in the same transaction.
// A taken address wraps storage.ErrAlreadyExists.
func (p *Users) SetEmail(ctx context.Context, actor Actor, userID, email string, verified bool) (string, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	err = p.Store.InTx(ctx, func(ctx context.Context) error {
		err := p.Store.UpdateUser(ctx, userID, func(u storage.User) (storage.User, error) {
			u.Email, u.EmailVerified, u.UpdatedAt = addr, verified, p.Now().UTC()
			return u, nil
		})
		if err != nil {
			return fmt.Errorf("set email of %q: %w", userID, err)
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.email_changed", ActorID: actor.ID, SubjectID: userID, IP: actor.IP})
	})
	return addr, err
}

func (p *Users) setDisabled(ctx context.Context, userID string, disabled bool) error {
	err := p.Store.UpdateUser(ctx, userID, func(u storage.User) (storage.User, error) {
		u.Disabled = disabled
		u.UpdatedAt = p.Now().UTC()
		return u, nil
	})
	if err != nil {
		return fmt.Errorf("user %q: %w", userID, err)
	}
	return nil
}

// Delete removes the user and their personal data: profile, password,
// memberships, sessions, consents, personal access tokens, pending links;
// their tokens stop working first. What stays is the audit trail, which
// names users by id only, and a record of who deleted whom and when. The
// last owner of an organization with other members must hand it over
// first, so no organization is left without an owner.
func (p *Users) Delete(ctx context.Context, actor Actor, userID string) error {
	var ended []storage.Session
	err := p.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := p.Store.GetUser(ctx, userID); err != nil {
			return fmt.Errorf("user %q: %w", userID, err)
		}
		ms, err := p.Store.ListMembershipsByUser(ctx, userID)
		if err != nil {
			return fmt.Errorf("list memberships: %w", err)
		}
		for _, m := range ms {
			if m.Role != RoleOwner {
				continue
			}
			if err := p.soleOwnerOfOthers(ctx, m); err != nil {
				return err
			}
		}
		if ended, err = p.endAll(ctx, userID); err != nil {
			return err
		}
		if err := p.Store.DeleteUser(ctx, userID); err != nil {
			return fmt.Errorf("delete user %q: %w", userID, err)
		}
		return p.audit(ctx, storage.AuditEvent{Type: "user.deleted", ActorID: actor.ID, SubjectID: userID, IP: actor.IP})
	})
	if err != nil {
		return err
	}
	p.notify(ctx, userID, ended)
	return nil
}

// soleOwnerOfOthers refuses when m's owner is the only owner of an
// organization that has other members.
func (p *Users) soleOwnerOfOthers(ctx context.Context, m storage.Membership) error {
	members, err := p.Store.ListMembersByOrg(ctx, m.OrgID)
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	owners := 0
	for _, o := range members {
		if o.Role == RoleOwner {
			owners++
		}
	}
	if owners == 1 && len(members) > 1 {
		return ErrLastOwner.Newf("The only owner of %q, which has other members; make another member an owner first.", orgLabel(m))
	}
	return nil
}

func orgLabel(m storage.Membership) string {
	if m.OrgName != "" {
		return m.OrgName
	}
	return m.OrgID
}

// audit records e in the change's own transaction: a change that cannot
// be audited is not made.
func (p *Users) audit(ctx context.Context, e storage.AuditEvent) error {
	e.ID, e.Time = randtoken.ID(), p.Now().UTC()
	if err := p.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Type, err)
	}
	return nil
}
