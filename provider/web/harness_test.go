package web

import (
	"bytes"
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/storage"
)

// testStore is what the tests need of a backend: the pages' interfaces plus
// setup and inspection.
type testStore interface {
	Store
	accounts.PeopleStore
	accounts.OrgStore
	accounts.Store
	browser.SessionStore
	throttle.Store
	Auditor
	MFAChallenges
	mfa.Store
	FederationStore
	storage.OrgSSOStore
	ListUsers(ctx context.Context) ([]storage.User, error)
	CreateUser(ctx context.Context, u storage.User) error
	CreateClient(ctx context.Context, c storage.Client) error
	CreateOrg(ctx context.Context, o storage.Organization) error
	AddMembership(ctx context.Context, m storage.Membership) error
	CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error
	CreateToken(ctx context.Context, t storage.TokenRecord) error
	GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.TokenRecord, error)
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error)
}

const issuer = "https://id.example"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fakeHints struct {
	tokens map[string][3]string // raw → subject, sid, client
}

func (h *fakeHints) VerifyIDTokenHint(_ context.Context, raw string) (string, string, string, error) {
	v, ok := h.tokens[raw]
	if !ok {
		return "", "", "", errors.New("bad signature")
	}
	return v[0], v[1], v[2], nil
}

type notified struct {
	mu    sync.Mutex
	ended []string
}

func (n *notified) SessionEnded(_ context.Context, userID, sessionID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ended = append(n.ended, userID+"/"+sessionID)
}

// fakeMailer records what the pages ask to send.
type fakeMailer struct {
	mu   sync.Mutex
	sent []sentMail
	// prepared counts SendPrepared calls; prepare, when set, plays the
	// worker: it makes the mail at once and records it as sent.
	prepared int
	prepare  mail.Preparer
}

func (m *fakeMailer) SendPrepared(ctx context.Context, to, preparer string) error {
	m.mu.Lock()
	m.prepared++
	prepare := m.prepare
	m.mu.Unlock()
	if prepare == nil {
		return nil
	}
	d, ok, err := prepare(ctx, to)
	if err != nil || !ok {
		return err
	}
	return m.Send(ctx, to, d)
}

type sentMail struct {
	to, template string
	data         mail.Data
}

func (m *fakeMailer) Send(_ context.Context, to string, data mail.Data) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sentMail{to, mail.Template(data), data})
	return nil
}

// link is the link a mail carries ("" for a mail without one).
func (s sentMail) link() string {
	if f := reflect.ValueOf(s.data).FieldByName("Link"); f.IsValid() {
		return f.String()
	}
	return ""
}

func (m *fakeMailer) all() []sentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentMail(nil), m.sent...)
}

type harness struct {
	t        *testing.T
	mailer   *fakeMailer
	store    testStore
	clock    *clock
	pages    *Pages
	handler  http.Handler
	hints    *fakeHints
	notified *notified
	logs     *bytes.Buffer
	mfa      *mfa.Service
}

func (m *fakeMailer) last(t *testing.T) sentMail {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no mail was sent")
	}
	return m.sent[len(m.sent)-1]
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, store: newTestStore(t), clock: &clock{t: time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)},
		hints: &fakeHints{tokens: map[string][3]string{}}, notified: &notified{}, logs: &bytes.Buffer{},
		mailer: &fakeMailer{}}
	sessions := &browser.Sessions{
		Store:     h.store,
		HashKeys:  [][]byte{bytes.Repeat([]byte{'k'}, 32)},
		BlockKeys: [][]byte{bytes.Repeat([]byte{'b'}, 32)},
		Secure:    true,
		Origin:    issuer,
		Lifetime:  browser.DefaultLifetime,
		Now:       h.clock.now,
	}
	sealer, err := secrets.NewSealer([][]byte{bytes.Repeat([]byte{'t'}, secrets.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	h.mfa = &mfa.Service{Store: h.store, Sealer: sealer, Issuer: "id.example", Now: h.clock.now}
	pages, err := New(Pages{
		Orgs:       &accounts.Organizations{Store: h.store, Audit: h.store, Now: h.clock.now},
		Accounts:   &accounts.Service{Store: h.store, Now: h.clock.now},
		Lifecycle:  &accounts.People{Store: h.store, Audit: h.store, Notifier: h.notified, Now: h.clock.now},
		Transactor: h.store,
		Mailer:     h.mailer,
		MFA:        h.mfa,
		Challenges: h.store,
		Store:      h.store,
		Sessions:   sessions,
		Throttle:   testLimiter(h.store, h.clock.now),
		Audit:      h.store,
		Hints:      h.hints,
		Notifier:   h.notified,
		Issuer:     issuer,
		Now:        h.clock.now,
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pages = pages
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", pages.Home)
	mux.HandleFunc("/login", pages.Login)
	mux.HandleFunc(PathUpstreamStart, pages.UpstreamStart)
	mux.HandleFunc(PathUpstreamCallback, pages.UpstreamCallback)
	mux.HandleFunc(PathUpstreamLink, pages.UpstreamLink)
	mux.HandleFunc(PathUpstreamLinkMail, pages.UpstreamLinkMail)
	mux.HandleFunc(PathUpstreamCancel, pages.UpstreamCancel)
	mux.HandleFunc(PathUpstreamLogoutDone, pages.UpstreamLogoutDone)
	mux.HandleFunc("/organization", pages.Organization)
	mux.HandleFunc("/consent", pages.Consent)
	mux.HandleFunc("/organizations", pages.Organizations)
	mux.HandleFunc("/organizations/{id}", pages.OrganizationSettings)
	mux.HandleFunc("/invitations/accept", pages.AcceptInvitation)
	mux.HandleFunc("/account/delete", pages.DeleteAccount)
	mux.HandleFunc(PathSecondFactor, pages.SecondFactor)
	mux.HandleFunc(PathAccountMFA, pages.AccountMFA)
	mux.HandleFunc("/oauth2/logout", pages.Logout)
	mux.HandleFunc("/logout", pages.Logout)
	mux.HandleFunc("/account", pages.Account)
	mux.HandleFunc("/account/", pages.Account)
	mux.Handle("/static/", pages.Static())
	h.handler = Headers(mux)
	return h
}

func (h *harness) ctx() context.Context { return h.t.Context() }

// user creates an enabled user whose password is pw.
func (h *harness) user(id, email, pw string) storage.User {
	h.t.Helper()
	hash, err := password.Hash(pw)
	if err != nil {
		h.t.Fatal(err)
	}
	u := storage.User{ID: id, Email: email, Name: strings.ToUpper(id[:1]) + id[1:] + " Example", PasswordHash: hash,
		EmailVerified: true, CreatedAt: h.clock.now(), UpdatedAt: h.clock.now()}
	if err := h.store.CreateUser(h.ctx(), u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

func (h *harness) client(c storage.Client) storage.Client {
	h.t.Helper()
	c.CreatedAt, c.UpdatedAt = h.clock.now(), h.clock.now()
	if err := h.store.CreateClient(h.ctx(), c); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// authRequest parks a request for clientID with the given form.
func (h *harness) authRequest(id, clientID string, form url.Values) {
	h.t.Helper()
	err := h.store.CreateAuthRequest(h.ctx(), storage.AuthRequest{ID: id, ClientID: clientID, Form: form.Encode(),
		CreatedAt: h.clock.now(), ExpiresAt: h.clock.now().Add(30 * time.Minute)})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) authReq(id string) storage.AuthRequest {
	h.t.Helper()
	ar, err := h.store.GetAuthRequest(h.ctx(), id, h.clock.now())
	if err != nil {
		h.t.Fatal(err)
	}
	return ar
}

func (h *harness) audits(typ string) []storage.AuditEvent {
	h.t.Helper()
	evs, err := h.store.ListAudit(h.ctx(), storage.AuditFilter{Type: typ})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

// agent is one browser: it keeps cookies and reads form tokens from pages.
type agent struct {
	h       *harness
	cookies map[string]*http.Cookie
	csrf    string
	// site is the Sec-Fetch-Site header to send ("" for none).
	site string
}

func (h *harness) browser() *agent {
	return &agent{h: h, cookies: map[string]*http.Cookie{}, site: "same-origin"}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

func (a *agent) do(method, target string, form url.Values) *httptest.ResponseRecorder {
	a.h.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, issuer+target, body)
	r.RemoteAddr = "198.51.100.20:40000"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if a.site != "" {
		r.Header.Set("Sec-Fetch-Site", a.site)
	}
	for _, c := range a.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.h.handler.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(a.cookies, c.Name)
		} else {
			a.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if m := csrfField.FindStringSubmatch(w.Body.String()); m != nil {
		a.csrf = html.UnescapeString(m[1])
	}
	return w
}

func (a *agent) get(target string) *httptest.ResponseRecorder {
	return a.do(http.MethodGet, target, nil)
}

// post sends form with the token of the last page this agent saw.
func (a *agent) post(target string, form url.Values) *httptest.ResponseRecorder {
	if form.Get("csrf_token") == "" && a.csrf != "" {
		form.Set("csrf_token", a.csrf)
	}
	return a.do(http.MethodPost, target, form)
}

// signIn goes through the plain /login form.
func (a *agent) signIn(email, pw string) {
	a.h.t.Helper()
	a.get("/login")
	w := a.post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	if w.Code != http.StatusFound {
		a.h.t.Fatalf("sign in as %s: status %d\n%s", email, w.Code, w.Body)
	}
}

func (a *agent) session() (storage.Session, bool) {
	a.h.t.Helper()
	r := httptest.NewRequest("GET", issuer+"/", nil)
	for _, c := range a.cookies {
		r.AddCookie(c)
	}
	s, ok, err := a.h.pages.Sessions.Current(r)
	if err != nil {
		a.h.t.Fatal(err)
	}
	return s, ok
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d, want %d; Location %q\n%s", w.Code, code, w.Header().Get("Location"), w.Body)
	}
}

func wantRedirect(t *testing.T, w *httptest.ResponseRecorder, location string) {
	t.Helper()
	if w.Code != http.StatusFound || w.Header().Get("Location") != location {
		t.Fatalf("got %d to %q, want 302 to %q\n%s", w.Code, w.Header().Get("Location"), location, w.Body)
	}
}
