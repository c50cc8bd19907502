package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type linkPage struct {
	Title, Action, CSRF, CancelURL string
	Provider, Email, Error         string
	// NeedsAccountPage: the account has a second factor, so a password is
	// not proof enough; the user links from the account page instead.
	NeedsAccountPage bool
	LoginURL         string
	// MailLink offers "Email me a link instead"; MailSent says it went.
	MailLink, MailSent bool
}

// upstreamLink serves GET and POST /login/upstream/link: an upstream
// sign-in whose address belongs to an existing account is linked only after
// the user proves they own that account with its password.

func (p *Pages) upstreamLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := r.Cookie(upstreamCookie)
	if err != nil || c.Value == "" {
		return upstreamLinkGone(nil)
	}
	hash := randtoken.Hash(c.Value)
	tok, err := p.Store.GetOneTimeToken(ctx, hash, purposeUpstreamLink, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return upstreamLinkGone(err)
	}
	if err != nil {
		return fmt.Errorf("federation: read pending link: %w", err)
	}
	var pl pendingLink
	if err := json.Unmarshal(tok.Data, &pl); err != nil {
		return fmt.Errorf("federation: decode pending link: %w", err)
	}
	conn, ok := p.Connectors.Get(pl.Connector)
	if !ok {
		return upstreamLinkGone(nil)
	}
	cfg := conn.Config()
	user, err := p.Store.GetUser(ctx, tok.UserID)
	if err != nil {
		return upstreamLinkGone(err)
	}
	view := linkPage{Provider: cfg.Name, Email: user.Email, MailLink: p.mailProof}
	st, err := p.MFA.Status(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("federation: second factor status: %w", err)
	}
	view.NeedsAccountPage = st.Enabled
	// A mailbox is not proof enough for an account with a second factor.
	view.MailLink = view.MailLink && !st.Enabled
	if r.Method != http.MethodPost {
		return p.linkForm(w, r, http.StatusOK, view)
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		view.Error = "This form has expired. Please try again."
		return p.linkForm(w, r, http.StatusForbidden, view)
	}
	if r.PostFormValue("action") == "cancel" {
		_, _ = p.Store.ConsumeOneTimeToken(ctx, hash, purposeUpstreamLink, p.Site.Now())
		http.SetCookie(w, p.upstreamCookie("", -1))
		return page.RedirectSeeOther(w, r, p.linkBackURL(pl))
	}
	if r.PostFormValue("action") == "mail" && view.MailLink {
		if err := p.mailLinkProof(r, tok, pl, cfg.Name, user); err != nil {
			return err
		}
		view.MailSent = true
		return p.linkForm(w, r, http.StatusOK, view)
	}
	if view.NeedsAccountPage {
		return p.linkForm(w, r, http.StatusForbidden, view)
	}
	ip := p.Site.Sessions().RemoteIP(r)
	retry, limited, err := p.Throttle.Check(ctx, user.Email, ip)
	if err != nil {
		return err
	}
	if limited {
		return p.Flows.Throttled(w, r, nil, retry)
	}
	_, reason, err := p.Passwords.Check(ctx, user.Email, r.PostFormValue("password"))
	if err != nil {
		return err
	}
	if reason != "" {
		if err := p.Throttle.Failure(ctx, user.Email, ip); err != nil {
			return err
		}
		p.Site.Audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, IP: ip,
			Details: map[string]string{"reason": reason, "connector": cfg.ID, "during": "link"}})
		view.Error = "That password is not right."
		return p.linkForm(w, r, http.StatusUnprocessableEntity, view)
	}
	if err := p.Throttle.Success(ctx, user.Email); err != nil {
		p.Site.Logger().WarnContext(ctx, "reset login throttle", "err", err)
	}
	// Consume before linking: of two posts, one links.
	if _, err := p.Store.ConsumeOneTimeToken(ctx, hash, purposeUpstreamLink, p.Site.Now()); err != nil {
		return upstreamLinkGone(err)
	}
	return p.completeLink(w, r, user, cfg, pl, "password", []string{"pwd", amrFederated})
}

// completeLink links the pending identity to user, proved by proof, and
// signs the browser in with amr.
func (p *Pages) completeLink(w http.ResponseWriter, r *http.Request, user storage.User, cfg connectors.Config, pl pendingLink,
	proof string, amr []string) error {
	ctx := r.Context()
	http.SetCookie(w, p.upstreamCookie("", -1))
	id := connectors.Identity{Issuer: pl.Issuer, Subject: pl.Subject, Email: pl.Email, Name: pl.Name, IDToken: pl.IDToken, Groups: pl.Groups}
	if err := p.Store.CreateIdentity(ctx, p.identityRecord(user.ID, cfg, id)); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return p.upstreamProblem(w, r, http.StatusConflict, pl.RequestID, "Already linked",
				"This "+cfg.Name+" account is linked to an account here already. Sign in with it.", err)
		}
		return fmt.Errorf("federation: link identity: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "identity.linked", ActorID: user.ID, SubjectID: user.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"connector": cfg.ID, "proof": proof}})
	return p.finishUpstream(w, r, user, cfg, pl.RequestID, pl.ReturnTo, pl.OrgID, id, amr)
}

func (p *Pages) linkForm(w http.ResponseWriter, r *http.Request, status int, view linkPage) error {
	view.Title = "Link your " + view.Provider + " sign-in"
	view.Action = p.Site.Path(PathUpstreamLink)
	view.LoginURL = p.Site.Path("/login")
	view.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "upstream_link", view)
}

func (p *Pages) linkBackURL(pl pendingLink) string {
	if pl.RequestID != "" {
		return p.Site.WithRequest("/login", pl.RequestID)
	}
	return p.Site.Path("/login")
}

func upstreamLinkGone(err error) error {
	return &page.Error{Status: http.StatusBadRequest, Title: "This sign-in has expired",
		Detail: "Linking took too long or was finished already. Start signing in again.", Err: err}
}

// linkFromAccount links the upstream identity to the signed-in user who
// started the round trip from the account page.
func (p *Pages) linkFromAccount(w http.ResponseWriter, r *http.Request, cfg connectors.Config, st upstreamState, id connectors.Identity) error {
	ctx := r.Context()
	_, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok || user.ID != st.LinkUserID {
		return p.upstreamProblem(w, r, http.StatusForbidden, "", "You are signed out",
			"Sign in again, then link "+cfg.Name+" from your account page.", nil)
	}
	err = p.Store.CreateIdentity(ctx, p.identityRecord(user.ID, cfg, id))
	if errors.Is(err, storage.ErrAlreadyExists) {
		ident, gerr := p.Store.GetIdentity(ctx, id.Issuer, id.Subject)
		if gerr == nil && ident.UserID == user.ID {
			return page.RedirectSeeOther(w, r, p.Site.Path("/account")+"#identities")
		}
		return p.upstreamProblem(w, r, http.StatusConflict, "", "Linked to another account",
			"This "+cfg.Name+" account is already linked to a different account here. Sign in with it there and unlink it first.", err)
	}
	if err != nil {
		return fmt.Errorf("federation: link identity: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "identity.linked", ActorID: user.ID, SubjectID: user.ID,
		IP: p.Site.Sessions().RemoteIP(r), Details: map[string]string{"connector": cfg.ID, "proof": "session"}})
	return page.RedirectSeeOther(w, r, p.Site.Path("/account")+"#identities")
}

type upstreamErrorPage struct {
	Title, Heading, Detail string
	RetryURL               string
	// BackAction is the form that returns access_denied to the application;
	// empty when no application is waiting.
	BackAction, CSRF, RequestID, ClientName string
}

// upstreamProblem ends a failed upstream sign-in on a page. When an
// application is waiting, the user may choose to go back to it; only then
// does it hear access_denied.
func (p *Pages) upstreamProblem(w http.ResponseWriter, r *http.Request, status int, requestID, title, detail string, err error) error {
	if err != nil {
		p.Site.Logger().WarnContext(r.Context(), "upstream sign-in failed", "title", title, "err", err)
	}
	view := upstreamErrorPage{Title: title, Heading: title, Detail: detail, RetryURL: p.Site.Path("/login")}
	if requestID != "" {
		if ar, gerr := p.Store.GetAuthRequest(r.Context(), requestID, p.Site.Now()); gerr == nil {
			view.RetryURL = p.Site.WithRequest("/login", ar.ID)
			view.BackAction = p.Site.Path(PathUpstreamCancel)
			view.RequestID = ar.ID
			if cl, cerr := p.Store.GetClient(r.Context(), ar.ClientID); cerr == nil {
				view.ClientName = strings.TrimSpace(cl.Name)
			}
			if view.ClientName == "" {
				view.ClientName = "the application"
			}
		}
	}
	view.CSRF = p.Site.Sessions().CSRFToken(w, r)
	w.Header().Set("Cache-Control", "no-store")
	return p.Site.Render(w, status, "upstream_error", view)
}

// upstreamCancel serves POST /login/upstream/cancel: the user chose to go
// back to the application after a failed upstream sign-in, which then gets
// access_denied.

func (p *Pages) upstreamCancel(w http.ResponseWriter, r *http.Request) error {
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	id := r.PostFormValue("request")
	err := p.Store.UpdateAuthRequest(r.Context(), id, func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		ar.Denied = true
		return ar, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return page.RequestGone(err)
	}
	if err != nil {
		return fmt.Errorf("federation: deny auth request: %w", err)
	}
	return page.RedirectSeeOther(w, r, p.Flows.ResumeURL(id))
}
