package orgs

import (
	"context"
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/provisioning"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Provisioning is the SCIM token of an organization (a
// *provisioning.Service); nil is an instance without the panel.
type Provisioning interface {
	TokenInfo(ctx context.Context, actor accounts.Actor, orgID string) (provisioning.Token, bool, error)
	CreateToken(ctx context.Context, actor accounts.Actor, orgID string) (string, error)
	RevokeToken(ctx context.Context, actor accounts.Actor, orgID string) error
}

// scimPanel is the SCIM provisioning panel of owners and admins: the base
// URL a directory is given, whether a token exists, and a new token right
// after it was made (shown this once).
type scimPanel struct {
	BaseURL   string
	HasToken  bool
	CreatedAt time.Time
}

func (p *Pages) scimPanel(ctx context.Context, actor accounts.Actor, orgID string) (*scimPanel, error) {
	if p.Provisioning == nil {
		return nil, nil
	}
	t, ok, err := p.Provisioning.TokenInfo(ctx, actor, orgID)
	if err != nil {
		return nil, err
	}
	return &scimPanel{BaseURL: p.ScimBaseURL + "/" + orgID, HasToken: ok, CreatedAt: t.CreatedAt}, nil
}

// scimTokenCreate serves the scim_token_create action: the new token is
// rendered in the answer itself (never put in a URL, kept only as its
// hash), with the rest of the page.
func (p *Pages) scimTokenCreate(w http.ResponseWriter, r *http.Request, user storage.User, orgID string) error {
	if p.Provisioning == nil {
		return page.Show(http.StatusBadRequest, "Unknown action", "Go back, reload the page and try again.")
	}
	actor := accounts.Actor{ID: user.ID, IP: p.Site.Sessions().RemoteIP(r)}
	tok, err := p.Provisioning.CreateToken(r.Context(), actor, orgID)
	if err != nil {
		return p.refused(w, r, user, orgID, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return p.renderSettings(w, r, user, settingsPage{InviteRole: accounts.RoleMember, NewScimToken: tok,
		Notice: "SCIM token created. Copy it now: it is not shown again, and the previous token no longer works."}, http.StatusOK)
}
