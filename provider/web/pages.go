package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/static"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/templates"
)

// Store is what the pages read and write.
type Store interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, fn func(storage.User) (storage.User, error)) error
	ListMembershipsByUser(ctx context.Context, userID string) ([]storage.Membership, error)
	GetClient(ctx context.Context, id string) (storage.Client, error)
	GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error)
	PutConsent(ctx context.Context, c storage.Consent) error
	GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, id string, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error
	UpdateSession(ctx context.Context, id string, fn func(storage.Session) (storage.Session, error)) error
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)

	// The account page's.
	ListClients(ctx context.Context) ([]storage.Client, error)
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	DeleteSession(ctx context.Context, id string) error
	DeleteSessionsByUser(ctx context.Context, userID, exceptID string) ([]storage.Session, error)
	// DeleteOneTimeTokensByUser: a password change cancels pending reset links.
	DeleteOneTimeTokensByUser(ctx context.Context, userID, purpose string) (int, error)
	ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
	CreatePAT(ctx context.Context, p storage.PAT) error
	ListPATsByUser(ctx context.Context, userID string) ([]storage.PAT, error)
	DeletePAT(ctx context.Context, userID, id string) error
	CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error
	ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose string, now time.Time) (storage.OneTimeToken, error)

	// The organization pages'.
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	GetMembership(ctx context.Context, orgID, userID string) (storage.Membership, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
}

// Mailer queues a mail rendered from templates/mail (provider/mail.Outbox).
type Mailer interface {
	Send(ctx context.Context, to string, data mail.Data) error
	// SendPrepared queues a mail whose data the worker's Preparer of that
	// name makes at send time (mail.Outbox.SendPrepared).
	SendPrepared(ctx context.Context, to, preparer string) error
}

// Transactor runs work in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor records security events.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Throttle limits failed sign-ins; *throttle.Limiter is one.
type Throttle interface {
	Check(ctx context.Context, email, ip string) (retryAfter time.Duration, limited bool, err error)
	Failure(ctx context.Context, email, ip string) error
	Success(ctx context.Context, email string) error
	// Device cookies (OWASP): a browser that signed in to the account keeps
	// its own failure budget. Device returns "" for no valid cookie.
	IssueDevice(email string) (string, error)
	Device(email, cookie string) string
	CheckDevice(ctx context.Context, email, ip, device string) (retryAfter time.Duration, limited bool, err error)
	SuccessDevice(ctx context.Context, email, device string) error
}

// LogoutNotifier hears that a browser session ended, to tell the clients it
// signed in to (OpenID Back-Channel Logout). It must not block for long:
// deliver in the background.
type LogoutNotifier interface {
	SessionEnded(ctx context.Context, userID, sessionID string)
}

// IDTokenHints checks an id_token_hint: an ID token this provider issued,
// signature valid under any published key. An expired token is still a valid
// hint (OpenID RP-Initiated Logout 1.0, section 2). clientID is the client
// the token was issued to (its azp, or its single aud).
type IDTokenHints interface {
	VerifyIDTokenHint(ctx context.Context, raw string) (subject, sessionID, clientID string, err error)
}

// Pages serves the sign-in pages. Build it with New.
type Pages struct {
	Store    Store
	Sessions *browser.Sessions
	Throttle Throttle
	Audit    Auditor
	// Hints and Notifier may be nil: then an id_token_hint is never trusted
	// (logout always asks) and nobody is told of ended sessions.
	Hints    IDTokenHints
	Notifier LogoutNotifier
	// Mailer sends the confirmation link of an email change and
	// invitations; nil turns both off (the pages say so).
	Mailer Mailer
	// MFA and Challenges enable the second factor (both or neither); nil
	// means sign-in is by password alone and /account/mfa does not exist.
	MFA        SecondFactor
	Challenges MFAChallenges
	// Issuer is the provider's issuer URL; page links are made under its path.
	Issuer string
	Now    func() time.Time
	Logger *slog.Logger

	// Orgs and Accounts apply the rules for organizations and new accounts
	// (the organization pages and invitations); Transactor makes an
	// invitee's new account and membership one change.
	Orgs       *accounts.Organizations
	Accounts   *accounts.Service
	Lifecycle  *accounts.People
	Transactor Transactor
	// Tokens is the account page's personal access tokens.
	Tokens *pat.Service
	// People is the registration, email verification and password reset
	// side; nil turns those pages off (they answer 404).
	People *People
	// Federation is sign-in through upstream identity providers; nil turns
	// it off.
	Federation *Federation

	base   string // the issuer's path, without trailing slash
	pages  map[string]*template.Template
	assets map[string]asset
}

type asset struct {
	body    []byte
	version string
}

// pageNames are the templates besides layout.html; each defines "content".
var pageNames = []string{"login", "organization", "consent", "logout", "signed_out", "error", "throttled", "home", "account", "email_confirm",
	"orgs", "orgsettings", "invitation", "delete_account", "account_deleted", "mfa_login", "mfa",
	"register", "notice", "forgot_password", "reset_password", "verify_email", "dev_mail",
	"upstream_link", "upstream_error", "upstream_continue", "upstream_link_mail"}

// New checks p's dependencies, parses the templates and reads the static
// files. It returns a ready *Pages.
func New(p Pages) (*Pages, error) {
	var missing []string
	if p.Store == nil {
		missing = append(missing, "Store")
	}
	if p.Sessions == nil {
		missing = append(missing, "Sessions")
	}
	if p.Throttle == nil {
		missing = append(missing, "Throttle")
	}
	if p.Audit == nil {
		missing = append(missing, "Audit")
	}
	if p.Orgs == nil {
		missing = append(missing, "Orgs")
	}
	if p.Accounts == nil {
		missing = append(missing, "Accounts")
	}
	if p.Lifecycle == nil {
		missing = append(missing, "Lifecycle")
	}
	if p.Transactor == nil {
		missing = append(missing, "Transactor")
	}
	if p.Tokens == nil {
		missing = append(missing, "Tokens")
	}
	if p.MFA != nil && p.Challenges == nil {
		missing = append(missing, "Challenges (MFA is set)")
	}
	if p.MFA == nil && p.Challenges != nil {
		missing = append(missing, "MFA (Challenges is set)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("web: missing %s", strings.Join(missing, ", "))
	}
	iss, err := url.Parse(p.Issuer)
	if err != nil || iss.Scheme == "" || iss.Host == "" {
		return nil, fmt.Errorf("web: issuer %q is not an absolute URL", p.Issuer)
	}
	p.base = strings.TrimSuffix(iss.Path, "/")
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.assets, err = loadAssets(static.FS); err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"static": p.staticURL}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templates.FS, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	p.pages = make(map[string]*template.Template, len(pageNames))
	for _, name := range append(slices.Clone(pageNames), adminPageNames...) {
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		files := []string{name + ".html"}
		if strings.HasPrefix(name, "admin_") {
			files = append(files, "admin_nav.html") // the admin menu, shared
		}
		if _, err := t.ParseFS(templates.FS, files...); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		p.pages[name] = t
	}
	return &p, nil
}

func loadAssets(fsys fs.FS) (map[string]asset, error) {
	assets := map[string]asset{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets[name] = asset{body: b, version: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read static files: %w", err)
	}
	return assets, nil
}

// staticURL names an asset with its content hash, so it can be cached for a
// year and still change with a release.
func (p *Pages) staticURL(name string) (string, error) {
	a, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return p.base + "/static/" + name + "?v=" + a.version, nil
}

// Static serves the stylesheet and images; mount it at /static/ under the
// issuer's path. A request naming the current content hash is cacheable for
// a year; any other for five minutes.
func (p *Pages) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Base(r.URL.Path)
		a, ok := p.assets[name]
		if !ok || !strings.HasSuffix(r.URL.Path, "/static/"+name) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'")
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		h.Set("ETag", `"`+a.version+`"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}

// path is an absolute path under the issuer.
func (p *Pages) path(local string) string { return p.base + local }

// withRequest is a page path carrying the parked request's id.
func (p *Pages) withRequest(local, requestID string) string {
	return p.path(local) + "?request=" + url.QueryEscape(requestID)
}

func (p *Pages) resumeURL(requestID string) string {
	return p.withRequest("/oauth2/authorize/resume", requestID)
}

// render executes a page into a buffer first, so a template error is a clean
// 500 and never half a page.
func (p *Pages) render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	setDefaultHeaders(h)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// pageError is an error with the page to show for it.
type pageError struct {
	status        int
	title, detail string
	err           error // logged, never shown
}

func (e *pageError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %v", e.title, e.err)
	}
	return e.title
}

func (e *pageError) Unwrap() error { return e.err }

func showError(status int, title, detail string) error {
	return &pageError{status: status, title: title, detail: detail}
}

// requestGone is shown when the parked authorization request is unknown or
// expired: only the application can start a new one.
func requestGone(err error) error {
	return &pageError{
		status: http.StatusBadRequest,
		title:  "This sign-in request has expired",
		detail: "Go back to the application and start signing in again.",
		err:    err,
	}
}

// maxPageForm bounds the body of every page form. The largest is the admin
// client form (a few URI lists), well under a few KiB in practice.
const maxPageForm = 64 << 10

// readPageForm caps the body and parses the form before any handler runs,
// so no handler's PostFormValue can reach net/http's multipart parser (which
// keeps 32 MiB in memory and spools the rest to disk). The pages' forms
// are all urlencoded: multipart is refused unread.
func readPageForm(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "multipart/") {
			return showError(http.StatusUnsupportedMediaType, "Unsupported form",
				"This page accepts only ordinary form submissions.")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		if mbe := new(http.MaxBytesError); errors.As(err, &mbe) {
			return showError(http.StatusRequestEntityTooLarge, "Form too large", "The form sent is larger than this page accepts.")
		}
		return showError(http.StatusBadRequest, "Invalid form", "The form could not be read. Go back and try again.")
	}
	return nil
}

// handle turns a handler that returns an error into an http.HandlerFunc; the
// one place errors become pages, and the one place page forms are read.
func (p *Pages) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := readPageForm(w, r)
		if err == nil {
			err = h(w, r)
		}
		if err == nil {
			return
		}
		var pe *pageError
		switch {
		case errors.As(err, &pe):
			if pe.err != nil {
				p.Logger.WarnContext(r.Context(), "page error", "path", r.URL.Path, "status", pe.status, "err", pe.err)
			}
			p.RenderError(w, r, pe.status, pe.title, pe.detail)
		case errors.Is(err, browser.ErrCSRF):
			p.Logger.InfoContext(r.Context(), "form refused", "path", r.URL.Path, "err", err)
			p.RenderError(w, r, http.StatusForbidden, "This form has expired",
				"The page was open too long or came from another site. Go back, reload the page and try again.")
		case errors.Is(err, storage.ErrUnavailable):
			// The database, not the person, failed: say so and when to
			// come back (RFC 9110 §15.6.4).
			p.Logger.ErrorContext(r.Context(), "page failed: database unavailable", "path", r.URL.Path, "err", err)
			w.Header().Set("Retry-After", "2")
			p.RenderError(w, r, http.StatusServiceUnavailable, "Temporarily unavailable",
				"The server cannot reach its database right now. Try again in a moment.")
		case fault.KindOf(err) != 0:
			// A refusal by the rules that no handler turned into a form
			// message: its kind picks the page, its message is the detail.
			f, _ := fault.From(err)
			fp := faultPages[f.Kind]
			p.Logger.InfoContext(r.Context(), "page refused", "path", r.URL.Path, "err", err)
			p.RenderError(w, r, fp.status, fp.title, f.Message)
		default:
			p.Logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
			p.RenderError(w, r, http.StatusInternalServerError, "Something went wrong",
				"The server could not finish this request. Try again in a moment.")
		}
	}
}

// faultPages is the status and title of the page for each kind of
// provider/fault failure.
var faultPages = map[fault.Kind]struct {
	status int
	title  string
}{
	fault.Invalid:   {http.StatusBadRequest, "This request cannot be done"},
	fault.Forbidden: {http.StatusForbidden, "Not allowed"},
	fault.NotFound:  {http.StatusNotFound, "Not found"},
	fault.Conflict:  {http.StatusConflict, "This cannot be done now"},
}

type errorPage struct {
	Title, Heading, Detail string
}

// RenderError shows an error page and never redirects: for requests whose
// client or redirect URI cannot be trusted, and for the pages' own errors.
func (p *Pages) RenderError(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	data := errorPage{Title: title, Heading: title, Detail: detail}
	if err := p.render(w, status, "error", data); err != nil {
		p.Logger.ErrorContext(r.Context(), "render error page", "err", err)
		setDefaultHeaders(w.Header())
		http.Error(w, title, status)
	}
}

func (p *Pages) audit(ctx context.Context, e storage.AuditEvent) {
	if e.ID == "" {
		e.ID = randtoken.ID()
	}
	if e.Time.IsZero() {
		e.Time = p.Now()
	}
	if err := p.Audit.AppendAudit(ctx, e); err != nil {
		p.Logger.ErrorContext(ctx, "audit append failed", "type", e.Type, "err", err)
	}
}
