package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/connectors"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

type linkPage struct {
	Title, Action, CSRF, CancelURL string
	Provider, Email, Error         string
	// NeedsAccountPage: the account has a second factor, so a password is
	// not proof enough; the person links from the account page instead.
	NeedsAccountPage bool
	LoginURL         string
	// MailLink offers "Email me a link instead"; MailSent says it went.
	MailLink, MailSent bool
}

// UpstreamLink serves GET and POST /login/upstream/link: an upstream
// sign-in whose address belongs to an existing account is linked only after
// the person proves they own that account with its password.
func (p *Pages) UpstreamLink(w http.ResponseWriter, r *http.Request) {
	p.handle(p.upstreamLink)(w, r)
}

func (p *Pages) upstreamLink(w http.ResponseWriter, r *http.Request) error {
	if !p.federationOn() {
		return showError(http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}
	ctx := r.Context()
	c, err := r.Cookie(upstreamCookie)
	if err != nil || c.Value == "" {
		return upstreamLinkGone(nil)
	}
	hash := randtoken.Hash(c.Value)
	tok, err := p.Federation.Store.GetOneTimeToken(ctx, hash, purposeUpstreamLink, p.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return upstreamLinkGone(err)
	}
	if err != nil {
		return fmt.Errorf("web: read pending link: %w", err)
	}
	var pl pendingLink
	if err := json.Unmarshal(tok.Data, &pl); err != nil {
		return fmt.Errorf("web: decode pending link: %w", err)
	}
	conn, ok := p.Federation.Connectors.Get(pl.Connector)
	if !ok {
		return upstreamLinkGone(nil)
	}
	cfg := conn.Config()
	user, err := p.Store.GetUser(ctx, tok.UserID)
	if err != nil {
		return upstreamLinkGone(err)
	}
	page := linkPage{Provider: cfg.Name, Email: user.Email, MailLink: p.People != nil && p.People.Mailer != nil}
	if p.MFA != nil {
		st, err := p.MFA.Status(ctx, user.ID)
		if err != nil {
			return fmt.Errorf("web: second factor status: %w", err)
		}
		page.NeedsAccountPage = st.Enabled
		// A mailbox is not proof enough for an account with a second factor.
		page.MailLink = page.MailLink && !st.Enabled
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return p.linkForm(w, r, http.StatusOK, page)
	case http.MethodPost:
	default:
		return methodNotAllowed(w)
	}
	if err := p.Sessions.CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		page.Error = "This form has expired. Please try again."
		return p.linkForm(w, r, http.StatusForbidden, page)
	}
	if r.PostFormValue("action") == "cancel" {
		_, _ = p.Federation.Store.ConsumeOneTimeToken(ctx, hash, purposeUpstreamLink, p.Now())
		http.SetCookie(w, p.upstreamCookie("", -1))
		return p.redirectSeeOther(w, r, p.linkBackURL(pl))
	}
	if r.PostFormValue("action") == "mail" && page.MailLink {
		if err := p.mailLinkProof(r, tok, pl, cfg.Name, user); err != nil {
			return err
		}
		page.MailSent = true
		return p.linkForm(w, r, http.StatusOK, page)
	}
	if page.NeedsAccountPage {
		return p.linkForm(w, r, http.StatusForbidden, page)
	}
	ip := p.Sessions.RemoteIP(r)
	retry, limited, err := p.Throttle.Check(ctx, user.Email, ip)
	if err != nil {
		return err
	}
	if limited {
		return p.throttled(w, r, nil, retry)
	}
	_, reason, err := p.checkPassword(ctx, user.Email, r.PostFormValue("password"))
	if err != nil {
		return err
	}
	if reason != "" {
		if err := p.Throttle.Failure(ctx, user.Email, ip); err != nil {
			return err
		}
		p.audit(ctx, storage.AuditEvent{Type: "login.failure", SubjectID: user.ID, IP: ip,
			Details: map[string]string{"reason": reason, "connector": cfg.ID, "during": "link"}})
		page.Error = "That password is not right."
		return p.linkForm(w, r, http.StatusUnprocessableEntity, page)
	}
	if err := p.Throttle.Success(ctx, user.Email); err != nil {
		p.Logger.WarnContext(ctx, "reset login throttle", "err", err)
	}
	// Consume before linking: of two posts, one links.
	if _, err := p.Federation.Store.ConsumeOneTimeToken(ctx, hash, purposeUpstreamLink, p.Now()); err != nil {
		return upstreamLinkGone(err)
	}
	http.SetCookie(w, p.upstreamCookie("", -1))
	id := connectors.Identity{Issuer: pl.Issuer, Subject: pl.Subject, Email: pl.Email, Name: pl.Name, IDToken: pl.IDToken, Groups: pl.Groups}
	if err := p.Federation.Store.CreateIdentity(ctx, p.identityRecord(user.ID, cfg, id)); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return p.upstreamProblem(w, r, http.StatusConflict, pl.RequestID, "Already linked",
				"This "+cfg.Name+" account is linked to an account here already. Sign in with it.", err)
		}
		return fmt.Errorf("web: link identity: %w", err)
	}
	p.audit(ctx, storage.AuditEvent{Type: "identity.linked", ActorID: user.ID, SubjectID: user.ID, IP: ip,
		Details: map[string]string{"connector": cfg.ID, "proof": "password"}})
	return p.finishUpstream(w, r, user, cfg, pl.RequestID, pl.ReturnTo, pl.OrgID, id, []string{"pwd", amrFederated})
}

func (p *Pages) linkForm(w http.ResponseWriter, r *http.Request, status int, page linkPage) error {
	page.Title = "Link your " + page.Provider + " sign-in"
	page.Action = p.path(PathUpstreamLink)
	page.LoginURL = p.path("/login")
	page.CSRF = p.Sessions.CSRFToken(w, r)
	return p.render(w, status, "upstream_link", page)
}

func (p *Pages) linkBackURL(pl pendingLink) string {
	if pl.RequestID != "" {
		return p.withRequest("/login", pl.RequestID)
	}
	return p.path("/login")
}

func upstreamLinkGone(err error) error {
	return &pageError{status: http.StatusBadRequest, title: "This sign-in has expired",
		detail: "Linking took too long or was finished already. Start signing in again.", err: err}
}

// linkFromAccount links the upstream identity to the signed-in person who
// started the round trip from the account page.
func (p *Pages) linkFromAccount(w http.ResponseWriter, r *http.Request, cfg connectors.Config, st upstreamState, id connectors.Identity) error {
	ctx := r.Context()
	_, user, ok, err := p.currentUser(r)
	if err != nil {
		return err
	}
	if !ok || user.ID != st.LinkUserID {
		return p.upstreamProblem(w, r, http.StatusForbidden, "", "You are signed out",
			"Sign in again, then link "+cfg.Name+" from your account page.", nil)
	}
	err = p.Federation.Store.CreateIdentity(ctx, p.identityRecord(user.ID, cfg, id))
	if errors.Is(err, storage.ErrAlreadyExists) {
		ident, gerr := p.Federation.Store.GetIdentity(ctx, id.Issuer, id.Subject)
		if gerr == nil && ident.UserID == user.ID {
			return p.redirectSeeOther(w, r, p.path("/account")+"#identities")
		}
		return p.upstreamProblem(w, r, http.StatusConflict, "", "Linked to another account",
			"This "+cfg.Name+" account is already linked to a different account here. Sign in with it there and unlink it first.", err)
	}
	if err != nil {
		return fmt.Errorf("web: link identity: %w", err)
	}
	p.audit(ctx, storage.AuditEvent{Type: "identity.linked", ActorID: user.ID, SubjectID: user.ID,
		IP: p.Sessions.RemoteIP(r), Details: map[string]string{"connector": cfg.ID, "proof": "session"}})
	return p.redirectSeeOther(w, r, p.path("/account")+"#identities")
}

type upstreamErrorPage struct {
	Title, Heading, Detail string
	RetryURL               string
	// BackAction is the form that returns access_denied to the application;
	// empty when no application is waiting.
	BackAction, CSRF, RequestID, ClientName string
}

// upstreamProblem ends a failed upstream sign-in on a page. When an
// application is waiting, the person may choose to go back to it; only then
// does it hear access_denied.
func (p *Pages) upstreamProblem(w http.ResponseWriter, r *http.Request, status int, requestID, title, detail string, err error) error {
	if err != nil {
		p.Logger.WarnContext(r.Context(), "upstream sign-in failed", "title", title, "err", err)
	}
	page := upstreamErrorPage{Title: title, Heading: title, Detail: detail, RetryURL: p.path("/login")}
	if requestID != "" {
		if ar, gerr := p.Store.GetAuthRequest(r.Context(), requestID, p.Now()); gerr == nil {
			page.RetryURL = p.withRequest("/login", ar.ID)
			page.BackAction = p.path(PathUpstreamCancel)
			page.RequestID = ar.ID
			if cl, cerr := p.Store.GetClient(r.Context(), ar.ClientID); cerr == nil {
				page.ClientName = strings.TrimSpace(cl.Name)
			}
			if page.ClientName == "" {
				page.ClientName = "the application"
			}
		}
	}
	page.CSRF = p.Sessions.CSRFToken(w, r)
	w.Header().Set("Cache-Control", "no-store")
	return p.render(w, status, "upstream_error", page)
}

// UpstreamCancel serves POST /login/upstream/cancel: the person chose to go
// back to the application after a failed upstream sign-in, which then gets
// access_denied.
func (p *Pages) UpstreamCancel(w http.ResponseWriter, r *http.Request) {
	p.handle(p.upstreamCancel)(w, r)
}

func (p *Pages) upstreamCancel(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w)
	}
	if err := p.Sessions.CheckCSRF(r); err != nil {
		return err
	}
	id := r.PostFormValue("request")
	err := p.Store.UpdateAuthRequest(r.Context(), id, func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		ar.Denied = true
		return ar, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return requestGone(err)
	}
	if err != nil {
		return fmt.Errorf("web: deny auth request: %w", err)
	}
	return p.redirectSeeOther(w, r, p.resumeURL(id))
}
