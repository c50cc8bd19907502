package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// IdentityStore keeps the upstream sign-ins linked to users.
type IdentityStore interface {
	ListIdentitiesByUser(ctx context.Context, userID string) ([]storage.Identity, error)
	DeleteIdentity(ctx context.Context, userID, id string) error
}

// ConnectorSet is the upstream connectors (*connectors.Registry, or a
// fixed *connectors.Set).
type ConnectorSet interface {
	Enabled() []connectors.Connector
	Get(id string) (connectors.Connector, bool)
}

// Transactor runs work in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Identities is sign-in through upstream identity providers
// (web/federation), as the account page lists, links and unlinks them.
type Identities struct {
	Connectors ConnectorSet
	Store      IdentityStore
	// Transactor makes an unlink's check and delete one change.
	Transactor Transactor
}

// linkedIdentities is the identities section of the account page: on
// (*Identities) or off (noIdentities), chosen by New.
type linkedIdentities interface {
	// view lists the user's linked sign-in providers and the connectors
	// they can still link, keeping the error a refused form left in v.
	view(ctx context.Context, site *page.Site, user storage.User, v *identitiesView) (*identitiesView, error)
	// formTargets are the upstreams the link buttons' 303 leads to: the
	// page's form-action must allow them (browsers apply it to redirects).
	formTargets() []string
}

type noIdentities struct{}

func (noIdentities) view(context.Context, *page.Site, storage.User, *identitiesView) (*identitiesView, error) {
	return nil, nil
}

func (noIdentities) formTargets() []string { return nil }

type identitiesView struct {
	Linked    []identityView
	Available []upstreamButton
	Error     string
}

type identityView struct {
	ID, Provider, Email string
	Since               timeView
}

// upstreamButton is one "Link …" form: it starts web/federation's upstream
// sign-in, which links the identity to the signed-in user.
type upstreamButton struct {
	ID, Name, Action string
}

func (ids *Identities) view(ctx context.Context, site *page.Site, user storage.User, v *identitiesView) (*identitiesView, error) {
	linkedIDs, err := ids.Store.ListIdentitiesByUser(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("account: list identities: %w", err)
	}
	view := &identitiesView{}
	if v != nil {
		view.Error = v.Error
	}
	linked := map[string]bool{}
	for _, x := range linkedIDs {
		name := x.ConnectorID
		if c, ok := ids.Connectors.Get(x.ConnectorID); ok {
			name = c.Config().Name
		}
		linked[x.ConnectorID] = true
		view.Linked = append(view.Linked, identityView{ID: x.ID, Provider: name, Email: x.Email, Since: when(x.CreatedAt)})
	}
	for _, c := range ids.Connectors.Enabled() {
		cfg := c.Config()
		if !linked[cfg.ID] {
			view.Available = append(view.Available, upstreamButton{ID: cfg.ID, Name: cfg.Name,
				Action: site.Path(pathUpstreamStart + cfg.ID)})
		}
	}
	return view, nil
}

func (ids *Identities) formTargets() []string {
	var targets []string
	for _, c := range ids.Connectors.Enabled() {
		targets = append(targets, c.AuthOrigins()...)
	}
	return targets
}

// unlinkIdentity removes one linked provider, but never the last way to
// sign in: without a password, the last identity stays.
func (a accountAction) unlinkIdentity() error {
	p := a.p
	ids := p.Identities
	ctx := a.r.Context()
	id := a.r.PostFormValue("identity_id")
	errLast := errors.New("last way to sign in")
	// One transaction, so two unlinks at once cannot both pass the check.
	err := ids.Transactor.InTx(ctx, func(ctx context.Context) error {
		linked, err := ids.Store.ListIdentitiesByUser(ctx, a.user.ID)
		if err != nil {
			return fmt.Errorf("account: list identities: %w", err)
		}
		if a.user.PasswordHash == "" && len(linked) <= 1 {
			return errLast
		}
		return ids.Store.DeleteIdentity(ctx, a.user.ID, id)
	})
	switch {
	case errors.Is(err, errLast):
		return a.again(accountPage{Identities: &identitiesView{
			Error: "This is the only way you can sign in. Set a password (with \"Forgot your password?\" on the sign-in page) or link another provider first."}})
	case errors.Is(err, storage.ErrNotFound):
		return a.done("unlinked")
	case err != nil:
		return fmt.Errorf("account: unlink identity: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "identity.unlinked", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{"identity_id": id}})
	return a.done("unlinked")
}
