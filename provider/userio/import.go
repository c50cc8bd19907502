package userio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/attributes"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// ImportStore is what Import reads and writes directly; organization and
// membership changes go through accounts.Organizations and its rules.
type ImportStore interface {
	CreateUser(ctx context.Context, u storage.User) error
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	ListOrgs(ctx context.Context) ([]storage.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListOrgRoles(ctx context.Context, orgID string) ([]storage.OrgRole, error)
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor records an audit event.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Importer puts parsed users into the store.
type Importer struct {
	Store ImportStore
	Orgs  *accounts.Organizations
	// Actor is who the audit log names; the CLI is accounts.SystemActor.
	Actor accounts.Actor
	// Audit records the events (the audit recorder, which also logs and
	// forwards them); nil: Store.
	Audit Auditor
	// Attributes checks imported users' and memberships' attributes (the
	// instance's bounds and schemas); nil: the bounds only.
	Attributes *attributes.Policy
	Now        func() time.Time
}

// RowError is a row that was not imported.
type RowError struct {
	Line int    `json:"line"`
	Err  string `json:"error"`
}

// Report is what an import did.
type Report struct {
	Created          int        `json:"created"`
	Skipped          int        `json:"skipped"`
	MembershipsAdded int        `json:"memberships_added"`
	OrgsCreated      int        `json:"organizations_created"`
	Failed           int        `json:"failed"`
	Errors           []RowError `json:"errors"`
}

// Summary is the one line the CLI prints.
func (r Report) Summary() string {
	return fmt.Sprintf("imported %d, skipped %d (already present), memberships added %d, organizations created %d, failed %d",
		r.Created, r.Skipped, r.MembershipsAdded, r.OrgsCreated, r.Failed)
}

// Import imports every row, each on its own: a failure is recorded in the
// report with the row's line, and the next row goes on.
func (im *Importer) Import(ctx context.Context, rows []Row) (Report, error) {
	rep := Report{Errors: []RowError{}}
	orgs, err := im.orgsByName(ctx)
	if err != nil {
		return rep, err
	}
	for _, row := range rows {
		err := row.Err
		if err == nil {
			err = im.one(ctx, row.User, orgs, &rep)
		}
		if err != nil {
			rep.Failed++
			rep.Errors = append(rep.Errors, RowError{Line: row.Line, Err: err.Error()})
		}
	}
	return rep, nil
}

func (im *Importer) orgsByName(ctx context.Context) (map[string]string, error) {
	list, err := im.Store.ListOrgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: organizations: %w", err)
	}
	m := map[string]string{}
	for _, o := range list {
		m[o.Name] = o.ID
	}
	return m, nil
}

// one imports a user: created if their email is new, else left as they
// are. Memberships are then brought up to what the row lists (added, never
// removed or changed), so a second run finds nothing to do.
func (im *Importer) one(ctx context.Context, p User, orgs map[string]string, rep *Report) error {
	email, err := accounts.NormalizeEmail(p.Email)
	if err != nil {
		return err // a fault.Invalid whose message names the address
	}
	if p.PasswordHash != "" {
		if err := password.Check(p.PasswordHash); err != nil {
			return fmt.Errorf("%s: password hash: %v (want a PHC argon2id or bcrypt $2a$/$2b$/$2y$ string)", email, err)
		}
	}
	if err := im.Attributes.Check(attributes.User, p.Attributes); err != nil {
		return fmt.Errorf("%s: attributes: %s", email, fault.Message(err, "invalid"))
	}
	for _, m := range p.Memberships {
		if strings.TrimSpace(m.OrgName) == "" || strings.TrimSpace(m.Role) == "" {
			return fmt.Errorf("%s: a membership needs org_name and role", email)
		}
		if err := im.Attributes.Check(attributes.Membership, m.Attributes); err != nil {
			return fmt.Errorf("%s: organization %q: attributes: %s", email, m.OrgName, fault.Message(err, "invalid"))
		}
	}
	u, err := im.Store.GetUserByEmail(ctx, email)
	switch {
	case err == nil:
		rep.Skipped++
	case errors.Is(err, storage.ErrNotFound):
		u, err = im.create(ctx, p, email)
		if err != nil {
			return err
		}
		rep.Created++
	default:
		return fmt.Errorf("%s: %w", email, err)
	}
	for _, m := range p.Memberships {
		if err := im.membership(ctx, u.ID, m, orgs, rep); err != nil {
			return fmt.Errorf("%s: organization %q: %w", email, m.OrgName, err)
		}
	}
	return nil
}

func (im *Importer) create(ctx context.Context, p User, email string) (storage.User, error) {
	now := im.Now().UTC()
	u := storage.User{ID: p.ID, Email: email, Name: strings.TrimSpace(p.Name), PasswordHash: p.PasswordHash,
		EmailVerified: p.EmailVerified, Disabled: p.Disabled, Admin: p.Admin, Attributes: attributes.Normalize(p.Attributes),
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: now}
	if u.ID == "" {
		u.ID = randtoken.ID()
	} else if _, err := im.Store.GetUser(ctx, u.ID); err == nil {
		return u, fmt.Errorf("%s: id %q belongs to another user here", email, u.ID)
	}
	if p.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	// The user and their audit event go in together, or neither does.
	err := im.Store.InTx(ctx, func(ctx context.Context) error {
		if err := im.Store.CreateUser(ctx, u); err != nil {
			return err
		}
		var rec Auditor = im.Store
		if im.Audit != nil {
			rec = im.Audit
		}
		return rec.AppendAudit(ctx, storage.AuditEvent{ID: randtoken.ID(), Time: now, Type: "user.imported",
			ActorID: im.Actor.ID, SubjectID: u.ID, IP: im.Actor.IP,
			Details: map[string]string{"email": email, "password": passwordKind(u.PasswordHash)}})
	})
	if err != nil {
		return u, fmt.Errorf("%s: %w", email, err)
	}
	return u, nil
}

func passwordKind(h string) string {
	switch {
	case h == "":
		return "none"
	case strings.HasPrefix(h, "$argon2id$"):
		return "argon2id"
	default:
		return "bcrypt"
	}
}

// membership adds the user to the organization named in m, creating the
// organization (and a custom role it lacks) on the way.
func (im *Importer) membership(ctx context.Context, userID string, m MembershipRecord, orgs map[string]string, rep *Report) error {
	name := strings.TrimSpace(m.OrgName)
	orgID, ok := orgs[name]
	if !ok {
		o, err := im.Orgs.Create(ctx, im.Actor, name)
		if err != nil {
			return err
		}
		orgID = o.ID
		orgs[name] = orgID
		rep.OrgsCreated++
	}
	if _, err := im.Store.GetMembership(ctx, orgID, userID); err == nil {
		return nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if !accounts.IsBuiltInRole(m.Role) {
		if err := im.ensureRole(ctx, orgID, m.Role); err != nil {
			return err
		}
	}
	if err := im.Orgs.AddMember(ctx, im.Actor, orgID, userID, m.Role); err != nil {
		return err
	}
	if len(m.Attributes) > 0 {
		c := accounts.AttributeChange{Value: m.Attributes, Replace: true}
		if _, err := im.Orgs.SetMemberAttributes(ctx, im.Actor, orgID, userID, c); err != nil {
			return err
		}
	}
	rep.MembershipsAdded++
	return nil
}

func (im *Importer) ensureRole(ctx context.Context, orgID, role string) error {
	roles, err := im.Store.ListOrgRoles(ctx, orgID)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if r.Name == role {
			return nil
		}
	}
	return im.Orgs.DefineRole(ctx, im.Actor, orgID, role, "")
}
