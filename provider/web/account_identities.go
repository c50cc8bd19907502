package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

type identitiesView struct {
	Linked    []identityView
	Available []signin.Button
	Error     string
}

type identityView struct {
	ID, Provider, Email string
	Since               timeView
}

// fillIdentities lists the person's linked sign-in providers and the
// connectors they can still link.
func (p *Pages) fillIdentities(r *http.Request, user storage.User, v *accountPage) error {
	if !p.federationOn() {
		return nil
	}
	ids, err := p.Federation.Store.ListIdentitiesByUser(r.Context(), user.ID)
	if err != nil {
		return fmt.Errorf("web: list identities: %w", err)
	}
	view := &identitiesView{}
	if v.Identities != nil {
		view.Error = v.Identities.Error
	}
	linked := map[string]bool{}
	for _, x := range ids {
		name := x.ConnectorID
		if c, ok := p.Federation.Connectors.Get(x.ConnectorID); ok {
			name = c.Config().Name
		}
		linked[x.ConnectorID] = true
		view.Linked = append(view.Linked, identityView{ID: x.ID, Provider: name, Email: x.Email, Since: when(x.CreatedAt)})
	}
	for _, b := range p.Federation.Buttons(nil) {
		if !linked[b.ID] {
			view.Available = append(view.Available, b)
		}
	}
	v.Identities = view
	return nil
}

// unlinkIdentity removes one linked provider, but never the last way to
// sign in: without a password, the last identity stays.
func (a accountAction) unlinkIdentity() error {
	p := a.p
	if !p.federationOn() {
		return page.Show(http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}
	ctx := a.r.Context()
	id := a.r.PostFormValue("identity_id")
	errLast := errors.New("last way to sign in")
	// One transaction, so two unlinks at once cannot both pass the check.
	err := p.Transactor.InTx(ctx, func(ctx context.Context) error {
		ids, err := p.Federation.Store.ListIdentitiesByUser(ctx, a.user.ID)
		if err != nil {
			return fmt.Errorf("web: list identities: %w", err)
		}
		if a.user.PasswordHash == "" && len(ids) <= 1 {
			return errLast
		}
		return p.Federation.Store.DeleteIdentity(ctx, a.user.ID, id)
	})
	switch {
	case errors.Is(err, errLast):
		return a.again(accountPage{Identities: &identitiesView{
			Error: "This is the only way you can sign in. Set a password (with \"Forgot your password?\" on the sign-in page) or link another provider first."}})
	case errors.Is(err, storage.ErrNotFound):
		return a.done("unlinked")
	case err != nil:
		return fmt.Errorf("web: unlink identity: %w", err)
	}
	p.site.Audit(ctx, storage.AuditEvent{Type: "identity.unlinked", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: p.Sessions.RemoteIP(a.r), Details: map[string]string{"identity_id": id}})
	return a.done("unlinked")
}
