package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

// Flow is a parked authorization request with what the pages need of it.
// A nil *Flow is a sign-in without one (its methods answer for that).
type Flow struct {
	Req    storage.AuthRequest
	Form   url.Values
	Client storage.Client
}

// FlowStore is what Flows reads and writes of the parked requests.
type FlowStore interface {
	GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// Flows is the parked authorization request as every page area sees it:
// the pages and the authorization endpoint talk only through it. A page
// records the user's decision on it and sends the browser back to
// /oauth2/authorize/resume, which decides what comes next. A decision counts
// only while the browser session that made it presents the request, so
// every page checks that the current session is the request's.
type Flows struct {
	Site  *page.Site
	Store FlowStore
}

// Load reads the request named by the URL's request parameter; it
// returns nil without error when there is none.
func (p *Flows) Load(r *http.Request) (*Flow, error) {
	id := r.URL.Query().Get("request")
	if id == "" {
		return nil, nil
	}
	ctx := r.Context()
	req, err := p.Store.GetAuthRequest(ctx, id, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, page.RequestGone(err)
	}
	if err != nil {
		return nil, fmt.Errorf("signin: read auth request: %w", err)
	}
	form, err := url.ParseQuery(req.Form)
	if err != nil {
		return nil, fmt.Errorf("signin: auth request %s has a bad form: %w", req.ID, err)
	}
	client, err := p.Store.GetClient(ctx, req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &page.Error{Status: http.StatusBadRequest, Title: "Unknown application",
			Detail: "The application that sent you here is no longer registered.", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("signin: read client: %w", err)
	}
	return &Flow{Req: req, Form: form, Client: client}, nil
}

// ClientName is how the pages name the requesting client.
func (f *Flow) ClientName() string {
	if f == nil {
		return ""
	}
	if f.Client.Name != "" {
		return f.Client.Name
	}
	return f.Client.ID
}

// RedirectTargets are the URIs the flow may end at, for form-action: the
// request's redirect_uri, or every registered one when it named none.
func (f *Flow) RedirectTargets() []string {
	if f == nil {
		return nil
	}
	if u := f.Form.Get("redirect_uri"); u != "" {
		return []string{u}
	}
	return f.Client.RedirectURIs
}

// reusable reports whether an existing session may answer this request
// without a new password: not when the client demands a fresh login
// (prompt=login) or the session is older than max_age (OIDC Core 3.1.2.1).
func (f *Flow) reusable(sess storage.Session, now time.Time) bool {
	if f == nil {
		return true
	}
	for _, v := range strings.Fields(f.Form.Get("prompt")) {
		if v == "login" {
			return false
		}
	}
	if s := f.Form.Get("max_age"); s != "" {
		maxAge, err := strconv.ParseInt(s, 10, 64)
		if err != nil || maxAge < 0 {
			return false
		}
		if now.Sub(sess.AuthTime) > time.Duration(maxAge)*time.Second {
			return false
		}
	}
	return true
}

// Session returns the browser's session and user when that session is
// the one going through the request; ok is false otherwise (no session,
// another session, or the user was disabled meanwhile).
func (p *Flows) Session(r *http.Request, f *Flow) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := p.Site.CurrentUser(r)
	if err != nil || !ok || f.Req.SessionID == "" || sess.ID != f.Req.SessionID {
		return storage.Session{}, storage.User{}, false, err
	}
	return sess, user, true, nil
}

// Bind records that sessionID is going through the request. Earlier
// decisions were made by another session (or nobody) and are dropped when
// the session changes; loggedIn marks a password entered during the request.
func (p *Flows) Bind(ctx context.Context, requestID, sessionID string, loggedIn bool) error {
	now := p.Site.Now()
	err := p.Store.UpdateAuthRequest(ctx, requestID, func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		if ar.SessionID != sessionID {
			ar.LoginAt = time.Time{}
			ar.OrgID = ""
			ar.ConsentGiven = false
			ar.Denied = false
		}
		ar.SessionID = sessionID
		if loggedIn {
			ar.LoginAt = now
		}
		return ar, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return page.RequestGone(err)
	}
	if err != nil {
		return fmt.Errorf("signin: update auth request: %w", err)
	}
	return nil
}

// errSessionChanged: the request was taken over by another session between
// showing a page and posting it.
var errSessionChanged = errors.New("signin: auth request belongs to another session")

// Decide applies fn to the request if sessionID still owns it.
func (p *Flows) Decide(ctx context.Context, requestID, sessionID string, fn func(*storage.AuthRequest)) error {
	err := p.Store.UpdateAuthRequest(ctx, requestID, func(ar storage.AuthRequest) (storage.AuthRequest, error) {
		if ar.SessionID != sessionID {
			return ar, errSessionChanged
		}
		fn(&ar)
		return ar, nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return page.RequestGone(err)
	case errors.Is(err, errSessionChanged):
		return &page.Error{Status: http.StatusConflict, Title: "This sign-in continued elsewhere",
			Detail: "Another window took over this sign-in. Go back to the application and start again.", Err: err}
	case err != nil:
		return fmt.Errorf("signin: update auth request: %w", err)
	}
	return nil
}

// SafeReturnTo accepts only a path on this site: never an absolute or
// scheme-relative URL, nor anything a browser might read as one.
func SafeReturnTo(s string) string {
	if s == "" || len(s) > 2048 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
		return ""
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return s
}

// ResumeURL sends the browser back to the authorization endpoint, which
// decides what the request needs next.
func (p *Flows) ResumeURL(requestID string) string {
	return p.Site.WithRequest(PathResume, requestID)
}

// PathResume is the authorization endpoint's continuation: oauth serves it
// (as oauth.PathResume; this package does not import oauth).
const PathResume = "/oauth2/authorize/resume"

// InFlow is a local path that carries the application's sign-in request
// (nil: none), so that a page reached from the login page of an
// authorization (registration, password reset) leads back to that
// authorization and not to a sign-in that has forgotten the application.
func (p *Flows) InFlow(local string, f *Flow) string {
	if f == nil {
		return p.Site.Path(local)
	}
	return p.Site.WithRequest(local, f.Req.ID)
}

// LoginURLs are the login form's action and its "use another account"
// link, for the flow or (without one) for returnTo.
func (p *Flows) LoginURLs(f *Flow, returnTo string) (action, switchURL string) {
	if f != nil {
		action = p.Site.WithRequest(PathLogin, f.Req.ID)
		return action, action + "&switch=1"
	}
	action = p.Site.Path(PathLogin)
	q := url.Values{"switch": {"1"}}
	if returnTo != "" {
		action += "?" + url.Values{"return_to": {returnTo}}.Encode()
		q.Set("return_to", returnTo)
	}
	return action, p.Site.Path(PathLogin) + "?" + q.Encode()
}

// Throttled is the page for too many wrong passwords or codes: when to try
// again, with Retry-After (RFC 9110 §10.2.3), and the way back to the login
// form.
func (p *Flows) Throttled(w http.ResponseWriter, r *http.Request, f *Flow, retry time.Duration) error {
	back, _ := p.LoginURLs(f, SafeReturnTo(r.PostFormValue("return_to")))
	return p.Site.Throttled(w, retry, back)
}

// ClientID is the requesting client's id ("" without a flow).
func (f *Flow) ClientID() string {
	if f == nil {
		return ""
	}
	return f.Client.ID
}

// RequestID is the parked request's id ("" without a flow).
func (f *Flow) RequestID() string {
	if f == nil {
		return ""
	}
	return f.Req.ID
}
