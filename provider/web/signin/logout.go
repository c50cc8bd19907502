package signin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type logoutPage struct {
	Title                 string
	ClientName            string
	UserEmail             string
	Action                string
	CSRF                  string
	ClientID              string
	PostLogoutRedirectURI string
	State                 string
}

type signedOutPage struct {
	Title, LoginURL string
}

// logoutRequest is an RP-Initiated Logout request after validation.
type logoutRequest struct {
	client *storage.Client
	// redirect is post_logout_redirect_uri when it is registered on the
	// client exactly; empty otherwise.
	redirect string
	state    string
	// redirectRefused is set when a post_logout_redirect_uri was sent
	// that is not registered exactly: then nobody is signed out without
	// asking (section 3).
	redirectRefused bool
	// hintSubject and hintSession come from a valid id_token_hint.
	hintSubject, hintSession string
	hintValid                bool
}

// logout serves OpenID RP-Initiated Logout 1.0 at GET and POST
// /oauth2/logout, and /logout for a user who wants to sign out. With an
// id_token_hint naming the current session it ends the session at once;
// otherwise it asks first. It redirects only to a post_logout_redirect_uri
// registered on the client named by client_id or by the hint.
func (p *Pages) logout(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return page.Show(http.StatusBadRequest, "Invalid sign-out request", "The request could not be read.")
	}
	confirmed := r.Method == http.MethodPost && r.PostForm.Get("confirm") != ""
	if r.Method == http.MethodPost && !confirmed {
		// A client's cross-site POST arrives without the SameSite=Lax
		// session cookie. The same request as a top-level GET carries it.
		return page.RedirectSeeOther(w, r, p.Site.Path(PathEndSession)+"?"+logoutParams(r.Form).Encode())
	}
	lr, err := p.parseLogout(r)
	if err != nil {
		return err
	}
	sess, user, signedIn, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if confirmed {
		if err := p.Site.Sessions().CheckCSRF(r); err != nil {
			return err
		}
	}
	// HEAD is safe: it may show the page but never signs out.
	hintMatches := r.Method == http.MethodGet && signedIn && lr.hintValid && !lr.redirectRefused &&
		lr.hintSubject == sess.UserID && (lr.hintSession == "" || lr.hintSession == sess.ID)
	if !signedIn && r.Method == http.MethodGet && lr.hintValid && lr.hintSession != "" {
		// No cookie: a back-end logout (oauth2-proxy's
		// --backend-logout-url) naming the session by the hint's sid.
		if lr.redirectRefused {
			return page.Show(http.StatusBadRequest, "Invalid sign-out request",
				"The application asked to send you to an address it has not registered.")
		}
		if err := p.endHintedSession(r, lr); err != nil {
			return err
		}
	}
	if signedIn && !confirmed && !hintMatches {
		data := logoutPage{Title: "Sign out", UserEmail: user.Email, Action: p.Site.Path(PathEndSession),
			PostLogoutRedirectURI: lr.redirect, State: lr.state}
		if lr.client != nil {
			data.ClientName, data.ClientID = lr.client.Name, lr.client.ID
			if data.ClientName == "" {
				data.ClientName = lr.client.ID
			}
		}
		data.CSRF = p.Site.Sessions().CSRFToken(w, r)
		page.AllowFormAction(w, append([]string{lr.redirect}, p.Upstream.AuthOrigins()...)...)
		return p.Site.Render(w, http.StatusOK, "logout", data)
	}
	if err := p.endSession(w, r, lr); err != nil {
		return err
	}
	final := ""
	if lr.redirect != "" {
		final = withState(lr.redirect, lr.state)
	}
	if signedIn {
		if target, ok, err := p.Upstream.Logout(r, sess, final); err != nil || ok {
			if err != nil {
				return err
			}
			return page.RedirectSeeOther(w, r, target)
		}
	}
	if final != "" {
		return page.Redirect(w, r, final)
	}
	return p.Site.Render(w, http.StatusOK, "signed_out", signedOutPage{Title: "Signed out", LoginURL: p.Site.Path(PathLogin)})
}

// parseLogout validates the parameters of OpenID RP-Initiated Logout 1.0
// section 2. An invalid hint is not an error: it only earns no trust.
func (p *Pages) parseLogout(r *http.Request) (logoutRequest, error) {
	ctx := r.Context()
	var lr logoutRequest
	clientID := r.Form.Get("client_id")
	if raw := r.Form.Get("id_token_hint"); raw != "" {
		sub, sid, aud, err := p.Hints.VerifyIDTokenHint(ctx, raw)
		if err != nil {
			p.Site.Logger().InfoContext(ctx, "id_token_hint refused", "err", err)
		} else {
			// Section 2: when both are given, client_id must be the
			// client the ID token was issued to.
			if clientID != "" && clientID != aud {
				return lr, page.Show(http.StatusBadRequest, "Invalid sign-out request",
					"The application named in the request is not the one the sign-in was for.")
			}
			clientID = aud
			lr.hintValid, lr.hintSubject, lr.hintSession = true, sub, sid
		}
	}
	if clientID != "" {
		c, err := p.Store.GetClient(ctx, clientID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			p.Site.Logger().InfoContext(ctx, "logout for unknown client", "client_id", clientID)
		case err != nil:
			return lr, fmt.Errorf("signin: read client: %w", err)
		default:
			lr.client = &c
		}
	}
	if uri := r.Form.Get("post_logout_redirect_uri"); uri != "" {
		// Exact string match, as for redirect_uri (RFC 9700 section 4.1.3).
		if lr.client != nil && slices.Contains(lr.client.PostLogoutRedirectURIs, uri) {
			lr.redirect = uri
			lr.state = r.Form.Get("state")
		} else {
			lr.redirectRefused = true
			p.Site.Logger().InfoContext(ctx, "post_logout_redirect_uri not registered; not redirecting", "client_id", clientID)
		}
	}
	return lr, nil
}

// SignOut ends the browser's session, as the account page's "sign out
// this session" does: its tokens stop and the clients it signed in to are
// told.
func (p *Pages) SignOut(w http.ResponseWriter, r *http.Request) error {
	return p.endSession(w, r, logoutRequest{})
}

// endSession signs the browser out, stops the session's tokens and tells the
// clients it signed in to.
func (p *Pages) endSession(w http.ResponseWriter, r *http.Request, lr logoutRequest) error {
	sess, ok, err := p.Site.Sessions().End(w, r)
	if err != nil || !ok {
		return err
	}
	return p.sessionEnded(r, sess, lr)
}

// endHintedSession ends the session a valid id_token_hint names by its sid,
// for a request without the browser's cookie. It must be a live session of
// the hint's subject; else nothing changes (and the answer is the same, so
// the request tells nothing about other sessions). The hint may be expired
// (RP-Initiated Logout section 2): a signature by our key on a token for
// this very session is the proof, and it can end only a session that
// still exists.
func (p *Pages) endHintedSession(r *http.Request, lr logoutRequest) error {
	ctx := r.Context()
	sess, err := p.Store.GetSession(ctx, lr.hintSession, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) || err == nil && sess.UserID != lr.hintSubject {
		p.Site.Logger().InfoContext(ctx, "id_token_hint names no live session of its subject")
		return nil
	}
	if err != nil {
		return fmt.Errorf("signin: read hinted session: %w", err)
	}
	if err := p.Store.DeleteSession(ctx, sess.ID); errors.Is(err, storage.ErrNotFound) {
		return nil // ended meanwhile, by whoever tells the clients
	} else if err != nil {
		return fmt.Errorf("signin: delete hinted session: %w", err)
	}
	return p.sessionEnded(r, sess, lr)
}

// sessionEnded stops an ended session's tokens, tells the clients it signed
// in to and records the logout.
func (p *Pages) sessionEnded(r *http.Request, sess storage.Session, lr logoutRequest) error {
	ctx := r.Context()
	n, err := p.Store.DeactivateTokens(ctx, storage.TokenFilter{SessionID: sess.ID,
		Kinds: []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken}})
	if err != nil {
		return fmt.Errorf("signin: deactivate session tokens: %w", err)
	}
	p.Notifier.SessionEnded(ctx, sess.UserID, sess.ID)
	event := storage.AuditEvent{Type: "logout", ActorID: sess.UserID, SubjectID: sess.UserID, OrgID: sess.OrgID,
		IP: p.Site.Sessions().RemoteIP(r), Details: map[string]string{"session_id": sess.ID, "tokens_deactivated": fmt.Sprint(n)}}
	if lr.client != nil {
		event.ClientID = lr.client.ID
	}
	p.Site.Audit(ctx, event)
	return nil
}

// withState adds state to a redirect URI, keeping its own query.
func withState(uri, state string) string {
	if state == "" {
		return uri
	}
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

// logoutParams keeps the parameters RP-Initiated Logout defines (section 2).
func logoutParams(form url.Values) url.Values {
	q := url.Values{}
	for _, k := range []string{"id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"} {
		if v := form.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	return q
}
