package signin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type consentPage struct {
	Title      string
	ClientName string
	LogoURI    string
	PolicyURI  string
	TOSURI     string
	Scopes     []scopeLine
	UserEmail  string
	SwitchURL  string
	Action     string
	CSRF       string
	Error      string
}

type scopeLine struct {
	Text  string
	Known bool
}

// consent serves GET and POST /consent?request=ID: the user allows or
// denies the client the requested scopes. Allowing is remembered (added to
// any earlier consent) so the page is not shown again for these scopes.
func (p *Pages) consent(w http.ResponseWriter, r *http.Request) error {
	f, err := p.Flows.Load(r)
	if err != nil {
		return err
	}
	if f == nil {
		return page.RequestGone(nil)
	}
	_, user, ok, err := p.Flows.Session(r, f)
	if err != nil {
		return err
	}
	if !ok {
		return page.Redirect(w, r, p.Site.WithRequest(PathLogin, f.Req.ID))
	}
	ctx := r.Context()
	scopes := strings.Fields(f.Form.Get("scope"))
	sessionID := f.Req.SessionID

	if r.Method == http.MethodPost {
		if err := p.Site.Sessions().CheckCSRF(r); err != nil {
			return err
		}
		event := storage.AuditEvent{ActorID: user.ID, SubjectID: user.ID, ClientID: f.Client.ID, OrgID: f.Req.OrgID,
			IP: p.Site.Sessions().RemoteIP(r), Details: map[string]string{"scope": strings.Join(scopes, " ")}}
		switch r.PostFormValue("action") {
		case "allow":
			if err := p.remember(r, user.ID, f.Client.ID, scopes); err != nil {
				return err
			}
			if err := p.Flows.Decide(ctx, f.Req.ID, sessionID, func(ar *storage.AuthRequest) {
				ar.ConsentGiven, ar.Denied = true, false
			}); err != nil {
				return err
			}
			event.Type = "consent.granted"
		case "deny":
			if err := p.Flows.Decide(ctx, f.Req.ID, sessionID, func(ar *storage.AuthRequest) {
				ar.ConsentGiven, ar.Denied = false, true
			}); err != nil {
				return err
			}
			event.Type = "consent.denied"
		default:
			return page.Show(http.StatusBadRequest, "Unknown choice", "Choose Allow or Deny.")
		}
		p.Site.Audit(ctx, event)
		return page.Redirect(w, r, p.Flows.ResumeURL(f.Req.ID))
	}

	data := consentPage{Title: "Allow access", ClientName: f.ClientName(), UserEmail: user.Email,
		LogoURI: httpsURL(f.Client.LogoURI), PolicyURI: webURL(f.Client.PolicyURI), TOSURI: webURL(f.Client.TOSURI),
		Action: p.Site.WithRequest(PathConsent, f.Req.ID), SwitchURL: p.Site.WithRequest(PathLogin, f.Req.ID) + "&switch=1"}
	for i, s := range scopes {
		if slices.Contains(scopes[:i], s) {
			continue
		}
		text, known := describeScope(s)
		data.Scopes = append(data.Scopes, scopeLine{Text: text, Known: known})
	}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	page.AllowFormAction(w, f.RedirectTargets()...)
	return p.Site.Render(w, http.StatusOK, "consent", data)
}

// remember adds scopes to the user's consent for the client.
func (p *Pages) remember(r *http.Request, userID, clientID string, scopes []string) error {
	ctx := r.Context()
	now := p.Site.Now()
	c, err := p.Store.GetConsent(ctx, userID, clientID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c = storage.Consent{UserID: userID, ClientID: clientID, CreatedAt: now}
	case err != nil:
		return fmt.Errorf("signin: read consent: %w", err)
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			c.Scopes = append(c.Scopes, s)
		}
	}
	c.UpdatedAt = now
	if err := p.Store.PutConsent(ctx, c); err != nil {
		return fmt.Errorf("signin: store consent: %w", err)
	}
	return nil
}

// describeScope says in plain words what a scope lets the client do; an
// unknown scope is shown as it is.
func describeScope(s string) (string, bool) {
	switch s {
	case "openid":
		return "Sign you in", true
	case "profile":
		return "See your name and your user name (the email address you sign in with)", true
	case "groups":
		return "See the organizations you belong to and your role in each", true
	case "email":
		return "See your email address", true
	case "offline_access":
		return "Stay signed in (keep access when you are away)", true
	}
	return s, false
}

// httpsURL keeps a client-supplied image URL only if it is https: the CSP
// allows images from https and nothing mixed.
func httpsURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return s
}

// webURL keeps a client-supplied link only if it is http(s).
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}
