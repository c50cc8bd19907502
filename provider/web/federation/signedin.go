package federation

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// upstreamSignedIn decides what a verified upstream identity means here:
// the account it is linked to, a new account, or a link to prove first.
// Accounts are never matched by email alone.
func (p *Pages) upstreamSignedIn(w http.ResponseWriter, r *http.Request, cfg connectors.Config, st upstreamState, id connectors.Identity) error {
	ctx := r.Context()
	store := p.Store
	if st.LinkUserID != "" {
		return p.linkFromAccount(w, r, cfg, st, id)
	}
	ident, err := store.GetIdentity(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
		user, err := p.Store.GetUser(ctx, ident.UserID)
		if err != nil {
			return fmt.Errorf("federation: read linked user: %w", err)
		}
		if user.Disabled {
			p.Site.Audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, IP: p.Site.Sessions().RemoteIP(r),
				Details: map[string]string{"reason": "disabled", "connector": cfg.ID}})
			return p.upstreamProblem(w, r, http.StatusForbidden, st.RequestID, "This account is disabled",
				"The account linked to your "+cfg.Name+" sign-in cannot be used. Ask the administrator of this service.", nil)
		}
		return p.finishUpstream(w, r, user, cfg, st.RequestID, st.ReturnTo, st.OrgID, id, []string{amrFederated})
	case !errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("federation: look up identity: %w", err)
	}

	email, err := accounts.NormalizeEmail(id.Email)
	if err != nil || !id.EmailVerified {
		return p.upstreamProblem(w, r, http.StatusForbidden, st.RequestID, "Your email address is not confirmed",
			cfg.Name+" did not tell us a confirmed email address for you, so we cannot make or find your account. Confirm your address at "+cfg.Name+" and try again.", nil)
	}
	id.Email = email
	existing, err := p.Store.GetUserByEmail(ctx, email)
	switch {
	case err == nil:
		return p.parkLink(w, r, cfg, st, id, existing)
	case !errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("federation: look up user: %w", err)
	}
	if !p.NewAccounts {
		return p.upstreamProblem(w, r, http.StatusForbidden, st.RequestID, "No account for this sign-in",
			"There is no account here for your "+cfg.Name+" sign-in, and new accounts cannot be created. Ask the administrator of this service for an account.", nil)
	}
	user, err := p.createFederatedUser(ctx, cfg, id, p.Site.Sessions().RemoteIP(r))
	if errors.Is(err, storage.ErrAlreadyExists) {
		// Someone made the account or the link a moment ago: start over
		// rather than guess.
		return p.upstreamProblem(w, r, http.StatusConflict, st.RequestID, "Please sign in again",
			"Your account changed while you were signing in. Start signing in again.", err)
	}
	if err != nil {
		return err
	}
	return p.finishUpstream(w, r, user, cfg, st.RequestID, st.ReturnTo, st.OrgID, id, []string{amrFederated})
}

// maxNameLen bounds the name an upstream gives, as the account page bounds
// the one a user types.
const maxNameLen = 200

// createFederatedUser makes the account and its identity in one change.
func (p *Pages) createFederatedUser(ctx context.Context, cfg connectors.Config, id connectors.Identity, ip string) (storage.User, error) {
	now := p.Site.Now().UTC()
	name := strings.TrimSpace(id.Name)
	if utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) {
		name = ""
	}
	u := storage.User{ID: randtoken.ID(), Email: id.Email, Name: name, EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	err := p.Transactor.InTx(ctx, func(ctx context.Context) error {
		if err := p.Store.CreateUser(ctx, u); err != nil {
			return err
		}
		return p.Store.CreateIdentity(ctx, p.identityRecord(u.ID, cfg, id))
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("federation: create federated account: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "user.registered", ActorID: u.ID, SubjectID: u.ID, IP: ip,
		Details: map[string]string{"connector": cfg.ID}})
	p.Site.Audit(ctx, storage.AuditEvent{Type: "identity.linked", ActorID: u.ID, SubjectID: u.ID, IP: ip,
		Details: map[string]string{"connector": cfg.ID}})
	return u, nil
}

func (p *Pages) identityRecord(userID string, cfg connectors.Config, id connectors.Identity) storage.Identity {
	return storage.Identity{ID: randtoken.ID(), UserID: userID, ConnectorID: cfg.ID, Issuer: id.Issuer,
		Subject: id.Subject, Email: id.Email, CreatedAt: p.Site.Now().UTC()}
}

// finishUpstream signs the browser in as user through cfg and continues the
// parked request, or goes to returnTo.
func (p *Pages) finishUpstream(w http.ResponseWriter, r *http.Request, user storage.User, cfg connectors.Config,
	requestID, returnTo, orgID string, id connectors.Identity, amr []string) error {
	ctx := r.Context()
	if orgID != "" {
		if err := p.Orgs.JoinAtSignIn(ctx, orgID, cfg.ID, user.ID, id.Groups); err != nil {
			return err
		}
	}
	sess, err := p.Site.Sessions().Start(w, r, user.ID, amr, p.Site.Now())
	if err != nil {
		return err
	}
	err = p.Store.UpdateSession(ctx, sess.ID, func(s storage.Session) (storage.Session, error) {
		s.IdP = cfg.ID
		if orgID != "" {
			s.OrgID = orgID
		}
		if cfg.UpstreamLogout {
			s.UpstreamIDToken = id.IDToken
		}
		return s, nil
	})
	if err != nil {
		return fmt.Errorf("federation: record upstream on session: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "login.success", ActorID: user.ID, SubjectID: user.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"session_id": sess.ID, "amr": strings.Join(amr, " "), "connector": cfg.ID}})
	target := returnTo
	if requestID != "" {
		if err := p.Flows.Bind(ctx, requestID, sess.ID, true); err != nil {
			return err
		}
		if orgID != "" {
			if err := p.Flows.Decide(ctx, requestID, sess.ID, func(ar *storage.AuthRequest) { ar.OrgID = orgID }); err != nil {
				return err
			}
		}
		target = p.Flows.ResumeURL(requestID)
	}
	if target == "" {
		target = p.Site.Path("/")
	}
	return p.continuePage(w, target)
}

type continuePage struct {
	Title, Target string
}

// continuePage ends the redirect chain that began with a form on the
// upstream's page: browsers hold every redirect after a form post to that
// page's CSP form-action, which does not know where we go next. A page with
// a refresh (no script) starts a fresh navigation.
func (p *Pages) continuePage(w http.ResponseWriter, target string) error {
	w.Header().Set("Cache-Control", "no-store")
	return p.Site.Render(w, http.StatusOK, "upstream_continue", continuePage{Title: "Signing you in", Target: target})
}

// pendingLink is an upstream identity waiting for the owner of the account
// with its address to prove they are that owner.
type pendingLink struct {
	Connector string   `json:"connector"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Email     string   `json:"email"`
	Name      string   `json:"name,omitempty"`
	IDToken   string   `json:"id_token,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	ReturnTo  string   `json:"return_to,omitempty"`
	OrgID     string   `json:"org_id,omitempty"`
	Groups    []string `json:"groups,omitempty"`
}

// parkLink keeps the identity server-side under the hash of a secret in the
// browser's upstream cookie. The Email key is unique per browser, so a second
// browser's attempt does not cancel the first.
func (p *Pages) parkLink(w http.ResponseWriter, r *http.Request, cfg connectors.Config, st upstreamState, id connectors.Identity, user storage.User) error {
	ctx := r.Context()
	data, err := json.Marshal(pendingLink{Connector: cfg.ID, Issuer: id.Issuer, Subject: id.Subject, Email: id.Email,
		Name: id.Name, IDToken: id.IDToken, RequestID: st.RequestID, ReturnTo: st.ReturnTo, OrgID: st.OrgID, Groups: id.Groups})
	if err != nil {
		return fmt.Errorf("federation: encode pending link: %w", err)
	}
	secret := randtoken.New()
	now := p.Site.Now()
	life := p.StateLifetime
	err = p.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(secret),
		Purpose: purposeUpstreamLink, UserID: user.ID, Email: "upstream-link:" + hex.EncodeToString(randtoken.Hash(secret)),
		Data: data, CreatedAt: now, ExpiresAt: now.Add(life)})
	if err != nil {
		return fmt.Errorf("federation: park pending link: %w", err)
	}
	http.SetCookie(w, p.upstreamCookie(secret, int(life/time.Second)))
	return page.RedirectSeeOther(w, r, p.Site.Path(PathUpstreamLink))
}
