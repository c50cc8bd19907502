package web

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

// flow is a parked authorization request with what the pages need of it.
type flow struct {
	req    storage.AuthRequest
	form   url.Values
	client storage.Client
}

// loadFlow reads the request named by the URL's request parameter; it
// returns nil without error when there is none.
func (p *Pages) loadFlow(r *http.Request) (*flow, error) {
	id := r.URL.Query().Get("request")
	if id == "" {
		return nil, nil
	}
	ctx := r.Context()
	req, err := p.Store.GetAuthRequest(ctx, id, p.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, page.RequestGone(err)
	}
	if err != nil {
		return nil, fmt.Errorf("web: read auth request: %w", err)
	}
	form, err := url.ParseQuery(req.Form)
	if err != nil {
		return nil, fmt.Errorf("web: auth request %s has a bad form: %w", req.ID, err)
	}
	client, err := p.Store.GetClient(ctx, req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &page.Error{Status: http.StatusBadRequest, Title: "Unknown application",
			Detail: "The application that sent you here is no longer registered.", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("web: read client: %w", err)
	}
	return &flow{req: req, form: form, client: client}, nil
}

func (f *flow) clientName() string {
	if f == nil {
		return ""
	}
	if f.client.Name != "" {
		return f.client.Name
	}
	return f.client.ID
}

// redirectTargets are the URIs the flow may end at, for form-action: the
// request's redirect_uri, or every registered one when it named none.
func (f *flow) redirectTargets() []string {
	if f == nil {
		return nil
	}
	if u := f.form.Get("redirect_uri"); u != "" {
		return []string{u}
	}
	return f.client.RedirectURIs
}

// reusable reports whether an existing session may answer this request
// without a new password: not when the client demands a fresh login
// (prompt=login) or the session is older than max_age (OIDC Core 3.1.2.1).
func (f *flow) reusable(sess storage.Session, now time.Time) bool {
	if f == nil {
		return true
	}
	for _, v := range strings.Fields(f.form.Get("prompt")) {
		if v == "login" {
			return false
		}
	}
	if s := f.form.Get("max_age"); s != "" {
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

// flowSession returns the browser's session and user when that session is
// the one going through the request; ok is false otherwise (no session,
// another session, or the user was disabled meanwhile).
func (p *Pages) flowSession(r *http.Request, f *flow) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := p.site.CurrentUser(r)
	if err != nil || !ok || f.req.SessionID == "" || sess.ID != f.req.SessionID {
		return storage.Session{}, storage.User{}, false, err
	}
	return sess, user, true, nil
}

// bindSession records that sessionID is going through the request. Earlier
// decisions were made by another session (or nobody) and are dropped when
// the session changes; loggedIn marks a password entered during the request.
func (p *Pages) bindSession(ctx context.Context, requestID, sessionID string, loggedIn bool) error {
	now := p.Now()
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
		return fmt.Errorf("web: update auth request: %w", err)
	}
	return nil
}

// errSessionChanged: the request was taken over by another session between
// showing a page and posting it.
var errSessionChanged = errors.New("web: auth request belongs to another session")

// decide applies fn to the request if sessionID still owns it.
func (p *Pages) decide(ctx context.Context, requestID, sessionID string, fn func(*storage.AuthRequest)) error {
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
		return fmt.Errorf("web: update auth request: %w", err)
	}
	return nil
}

// safeReturnTo accepts only a path on this site: never an absolute or
// scheme-relative URL, nor anything a browser might read as one.
func safeReturnTo(s string) string {
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
