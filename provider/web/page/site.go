package page

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/httpobs"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/static"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// Users reads the signed-in user's account for CurrentUser.
type Users interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// Auditor records security events.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Config is what every page area shares. Issuer, Sessions, Users and Audit
// are required; Now and Logger default to time.Now and slog.Default.
type Config struct {
	// Issuer is the provider's issuer URL; page links are made under its
	// path.
	Issuer   string
	Sessions *browser.Sessions
	Users    Users
	Audit    Auditor
	Now      func() time.Time
	Logger   *slog.Logger
}

// Site is the shared base of the page areas: the parsed templates and
// static files, the issuer's path, the browser sessions and the audit log.
// Build it with New; it is safe for concurrent use.
type Site struct {
	issuer   string
	base     string // the issuer's path, without trailing slash
	sessions *browser.Sessions
	users    Users
	auditor  Auditor
	now      func() time.Time
	logger   *slog.Logger
	pages    map[string]*template.Template
	assets   map[string]asset
}

// New checks c, parses every page template (templates/*.html besides the
// layout; admin_*.html also get the admin menu) and reads the static files.
func New(c Config) (*Site, error) {
	var missing []string
	if c.Sessions == nil {
		missing = append(missing, "Sessions")
	}
	if c.Users == nil {
		missing = append(missing, "Users")
	}
	if c.Audit == nil {
		missing = append(missing, "Audit")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("page: missing %s", strings.Join(missing, ", "))
	}
	iss, err := url.Parse(c.Issuer)
	if err != nil || iss.Scheme == "" || iss.Host == "" {
		return nil, fmt.Errorf("page: issuer %q is not an absolute URL", c.Issuer)
	}
	s := &Site{issuer: c.Issuer, base: strings.TrimSuffix(iss.Path, "/"), sessions: c.Sessions, users: c.Users,
		auditor: c.Audit, now: c.Now, logger: c.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.assets, err = loadAssets(static.FS); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(templates.FS, template.FuncMap{"static": s.staticURL}); err != nil {
		return nil, err
	}
	return s, nil
}

// parsePages makes one template per page: the layout plus the page's file,
// which defines "content".
func parsePages(fsys fs.FS, funcs template.FuncMap) (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("page: parse layout: %w", err)
	}
	files, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, fmt.Errorf("page: list templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(files))
	for _, file := range files {
		if file == "layout.html" || file == "admin_nav.html" {
			continue
		}
		name := strings.TrimSuffix(file, ".html")
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("page: clone layout: %w", err)
		}
		parse := []string{file}
		if strings.HasPrefix(name, "admin_") {
			parse = append(parse, "admin_nav.html") // the admin menu, shared
		}
		if _, err := t.ParseFS(fsys, parse...); err != nil {
			return nil, fmt.Errorf("page: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Issuer is the provider's issuer URL, as configured.
func (s *Site) Issuer() string { return s.issuer }

// Sessions are the browser sessions the pages sign in and out.
func (s *Site) Sessions() *browser.Sessions { return s.sessions }

// Now is the pages' clock.
func (s *Site) Now() time.Time { return s.now() }

// Logger is where the pages log.
func (s *Site) Logger() *slog.Logger { return s.logger }

// Path is an absolute path under the issuer.
func (s *Site) Path(local string) string { return s.base + local }

// Link is an absolute URL under the issuer, for mails and upstream
// providers, which cannot resolve a path.
func (s *Site) Link(local string, q url.Values) string {
	u := strings.TrimSuffix(s.issuer, "/") + local
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// WithRequest is a page path carrying the parked authorization request's id.
func (s *Site) WithRequest(local, requestID string) string {
	return s.Path(local) + "?request=" + url.QueryEscape(requestID)
}

// Render executes a page into a buffer first, so a template error is a
// clean 500 and never half a page.
func (s *Site) Render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("page: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("page: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	SetHeaders(h)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

type errorPage struct {
	Title, Heading, Detail string
	// RequestID is the request's id (httpobs), for the person to quote.
	RequestID string
}

// RenderError shows an error page and never redirects: for requests whose
// client or redirect URI cannot be trusted, and for the pages' own errors.
func (s *Site) RenderError(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	data := errorPage{Title: title, Heading: title, Detail: detail, RequestID: httpobs.RequestID(r.Context())}
	if err := s.Render(w, status, "error", data); err != nil {
		s.logger.ErrorContext(r.Context(), "render error page", "err", err)
		SetHeaders(w.Header())
		http.Error(w, title, status)
	}
}

// CurrentUser is the signed-in session and its enabled user; ok is false
// with no session, or when the user is gone or disabled.
func (s *Site) CurrentUser(r *http.Request) (storage.Session, storage.User, bool, error) {
	sess, ok, err := s.sessions.Current(r)
	if err != nil || !ok {
		return storage.Session{}, storage.User{}, false, err
	}
	user, err := s.users.GetUser(r.Context(), sess.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, storage.User{}, false, nil
	}
	if err != nil {
		return storage.Session{}, storage.User{}, false, fmt.Errorf("page: read user: %w", err)
	}
	if user.Disabled {
		return storage.Session{}, storage.User{}, false, nil
	}
	return sess, user, true, nil
}

// SignInFirst answers a signed-out visitor of a page that needs a session:
// a GET goes to the login page and comes back; a form post cannot be
// replayed after signing in, so it is refused with a page that says why.
func (s *Site) SignInFirst(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return Show(http.StatusUnauthorized, "You are signed out",
			"Your session ended before the form was sent. Sign in and try again.")
	}
	return Redirect(w, r, s.Path(loginPath)+"?"+url.Values{"return_to": {r.URL.RequestURI()}}.Encode())
}

// UserHandler is a page of the signed-in user: sess and user are theirs.
type UserHandler func(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error

// SignedIn runs h for a signed-in user; a signed-out visitor is answered
// by SignInFirst.
func (s *Site) SignedIn(h UserHandler) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sess, user, ok, err := s.CurrentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return s.SignInFirst(w, r)
		}
		return h(w, r, sess, user)
	}
}

// SignedInForm is SignedIn for a form post, which must carry the page's
// CSRF token.
func (s *Site) SignedInForm(h UserHandler) HandlerFunc {
	return s.SignedIn(func(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
		if err := s.sessions.CheckCSRF(r); err != nil {
			return err
		}
		return h(w, r, sess, user)
	})
}

type throttledPage struct {
	Title, RetryIn, BackURL string
}

// Throttled is the page for too many wrong passwords or codes: 429 with
// Retry-After (RFC 9110 §10.2.3), when to try again in words, and the way
// back (to the login form of the sign-in, if any).
func (s *Site) Throttled(w http.ResponseWriter, retry time.Duration, backURL string) error {
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	return s.Render(w, http.StatusTooManyRequests, "throttled", throttledPage{
		Title: "Too many attempts", RetryIn: RetryIn(retry), BackURL: backURL})
}

// RetryIn says in words when to try again, for the pages that throttle.
func RetryIn(d time.Duration) string {
	switch {
	case d <= time.Minute:
		s := int((d + time.Second - 1) / time.Second)
		if s <= 1 {
			return "in a second"
		}
		return fmt.Sprintf("in %d seconds", s)
	case d < 90*time.Second:
		return "in about a minute"
	default:
		return fmt.Sprintf("in about %d minutes", int((d+time.Minute/2)/time.Minute))
	}
}

// loginPath is the login page (web/signin serves it, oauth.PathLogin names
// it for the authorization endpoint); page cannot import either.
const loginPath = "/login"

// Audit records a security event, filling in its id and time. A failure is
// logged, not returned: the change it describes has happened already.
func (s *Site) Audit(ctx context.Context, e storage.AuditEvent) {
	if e.ID == "" {
		e.ID = randtoken.ID()
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if err := s.auditor.AppendAudit(ctx, e); err != nil {
		s.logger.ErrorContext(ctx, "audit append failed", "type", e.Type, "err", err)
	}
}

// Redirect answers 302 Found to target.
func Redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// RedirectSeeOther answers 303 See Other to target: after a form post whose
// next request must be a GET (RFC 9110 §15.4.4).
func RedirectSeeOther(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// OrgName is the name to show for a membership's organization: its name,
// or its id when the membership was read without it.
func OrgName(m storage.Membership) string {
	if m.OrgName != "" {
		return m.OrgName
	}
	return m.OrgID
}
