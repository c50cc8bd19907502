package federation

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// PathUpstreamLinkMail is the emailed link that proves the user owns the
// account an upstream sign-in's address belongs to.
const PathUpstreamLinkMail = "/login/upstream/link/mail"

const purposeUpstreamLinkMail = "upstream_link_mail"

// mailLinkProof sends the account's address a link that completes the
// pending link. The link works only in the browser holding the pending
// link's cookie: a leaked mail alone links nothing.
func (p *Pages) mailLinkProof(r *http.Request, pending storage.OneTimeToken, pl pendingLink, provider string, user storage.User) error {
	ctx := r.Context()
	secret := randtoken.New()
	now := p.Site.Now()
	data, err := json.Marshal(map[string]string{"pending": hex.EncodeToString(pending.TokenHash)})
	if err != nil {
		return err
	}
	err = p.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: randtoken.Hash(secret),
		Purpose: purposeUpstreamLinkMail, UserID: user.ID, Email: user.Email, Data: data, CreatedAt: now, ExpiresAt: pending.ExpiresAt})
	if err != nil {
		return fmt.Errorf("federation: park link mail: %w", err)
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "identity.link_mail_sent", SubjectID: user.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"connector": pl.Connector}})
	return p.Mailer.Send(ctx, user.Email, mail.UpstreamLink{Name: user.Name, Provider: provider,
		UpstreamEmail: pl.Email, Link: p.Site.Link(PathUpstreamLinkMail, url.Values{"token": {secret}}),
		Lifetime: fmt.Sprintf("%d minutes", int(pending.ExpiresAt.Sub(now)/time.Minute))})
}

type linkMailPage struct {
	Title, Action, CSRF, Token, Provider, Email string
}

// upstreamLinkMail serves GET and POST /login/upstream/link/mail: GET shows
// what the link does (mail scanners fetch links), POST links and signs in.

func (p *Pages) upstreamLinkMail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	secret := r.URL.Query().Get("token")
	if r.Method == http.MethodPost {
		secret = r.PostFormValue("token")
	}
	c, err := r.Cookie(upstreamCookie)
	if secret == "" || err != nil || c.Value == "" {
		return &page.Error{Status: http.StatusBadRequest, Title: "Open the link in the same browser",
			Detail: "This link completes a sign-in started in another browser, or the sign-in has ended. Start signing in again, then use the new link in that browser."}
	}
	mailTok, err := p.Store.GetOneTimeToken(ctx, randtoken.Hash(secret), purposeUpstreamLinkMail, p.Site.Now())
	if err != nil {
		return upstreamLinkGone(err)
	}
	var d map[string]string
	if err := json.Unmarshal(mailTok.Data, &d); err != nil || d["pending"] != hex.EncodeToString(randtoken.Hash(c.Value)) {
		return &page.Error{Status: http.StatusBadRequest, Title: "Open the link in the same browser",
			Detail: "This link completes a sign-in started in another browser. Open it in the browser where you signed in with the provider."}
	}
	pending, err := p.Store.GetOneTimeToken(ctx, randtoken.Hash(c.Value), purposeUpstreamLink, p.Site.Now())
	if err != nil {
		return upstreamLinkGone(err)
	}
	var pl pendingLink
	if err := json.Unmarshal(pending.Data, &pl); err != nil {
		return fmt.Errorf("federation: decode pending link: %w", err)
	}
	conn, ok := p.Connectors.Get(pl.Connector)
	if !ok || pending.UserID != mailTok.UserID {
		return upstreamLinkGone(nil)
	}
	cfg := conn.Config()
	user, err := p.Store.GetUser(ctx, pending.UserID)
	if err != nil || user.Disabled {
		return upstreamLinkGone(err)
	}
	// A mailbox is not proof enough for an account with a second factor.
	st, err := p.MFA.Status(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("federation: second factor status: %w", err)
	}
	if st.Enabled {
		return upstreamLinkGone(nil)
	}
	if r.Method != http.MethodPost {
		return p.Site.Render(w, http.StatusOK, "upstream_link_mail", linkMailPage{Title: "Link your " + cfg.Name + " sign-in",
			Action: p.Site.Path(PathUpstreamLinkMail), CSRF: p.Site.Sessions().CSRFToken(w, r), Token: secret, Provider: cfg.Name, Email: user.Email})
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	if _, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(secret), purposeUpstreamLinkMail, p.Site.Now()); err != nil {
		return upstreamLinkGone(err)
	}
	if _, err := p.Store.ConsumeOneTimeToken(ctx, randtoken.Hash(c.Value), purposeUpstreamLink, p.Site.Now()); err != nil {
		return upstreamLinkGone(err)
	}
	return p.completeLink(w, r, user, cfg, pl, "email", []string{amrFederated})
}
