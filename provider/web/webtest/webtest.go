// Package webtest is the shared test harness of the page areas under
// provider/web: a migrated SQLite store, a clock, fakes for the mailer,
// logout hints and back-channel notices, and a browser (Agent) that keeps
// cookies, reads CSRF tokens from pages and sends Sec-Fetch-Site. It is
// imported by tests only, and never imports an area package: each area's
// tests build their area on an Env and set Env.Handler to what they mount.
package webtest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/secrets"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

// Issuer is the issuer every Env serves under (no path: page paths are the
// paths tests request).
const Issuer = "https://id.example"

// Start is where every Env's clock starts.
var Start = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

// Env is what every page area's tests share. The area's test builds its
// area from these fields and sets Handler to the mux it mounted.
type Env struct {
	T        *testing.T
	Store    *sqlite.Store
	Clock    *Clock
	Hints    *Hints
	Notified *Notified
	Mailer   *Mailer
	// Logs holds everything Logger wrote, at debug level and up.
	Logs     *bytes.Buffer
	Logger   *slog.Logger
	Sessions *browser.Sessions
	MFA      *mfa.Service
	// Passkeys runs the WebAuthn ceremonies as Issuer's relying party
	// (passkeytest answers them).
	Passkeys *passkey.Service
	// Handler is what agents browse.
	Handler http.Handler

	site *page.Site
}

// New is a fresh Env on its own database.
func New(t *testing.T) *Env {
	t.Helper()
	e := &Env{T: t, Store: sqlitetest.Open(t), Clock: NewClock(Start), Hints: &Hints{Tokens: map[string][3]string{}},
		Notified: &Notified{}, Mailer: &Mailer{}, Logs: &bytes.Buffer{}}
	e.Logger = slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Sessions = &browser.Sessions{
		Store:     e.Store,
		HashKeys:  [][]byte{bytes.Repeat([]byte{'k'}, 32)},
		BlockKeys: [][]byte{bytes.Repeat([]byte{'b'}, 32)},
		Secure:    true,
		Origin:    Issuer,
		Lifetime:  browser.DefaultLifetime,
		Now:       e.Clock.Now,
	}
	sealer, err := secrets.NewSealer([][]byte{bytes.Repeat([]byte{'t'}, secrets.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	e.MFA = &mfa.Service{Store: e.Store, Sealer: sealer, Issuer: "id.example", Now: e.Clock.Now}
	rp, err := passkey.NewRelyingParty(Issuer)
	if err != nil {
		t.Fatal(err)
	}
	e.Passkeys = &passkey.Service{Store: e.Store, Audit: e.Store, Users: e.Store, RP: rp, Now: e.Clock.Now}
	return e
}

// Ctx is the test's context.
func (e *Env) Ctx() context.Context { return e.T.Context() }

// User creates an enabled user whose password is pw.
func (e *Env) User(id, email, pw string) storage.User {
	e.T.Helper()
	hash, err := password.Hash(pw)
	if err != nil {
		e.T.Fatal(err)
	}
	u := storage.User{ID: id, Email: email, Name: strings.ToUpper(id[:1]) + id[1:] + " Example", PasswordHash: hash,
		EmailVerified: true, CreatedAt: e.Clock.Now(), UpdatedAt: e.Clock.Now()}
	if err := e.Store.CreateUser(e.Ctx(), u); err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Client stores c, created now.
func (e *Env) Client(c storage.Client) storage.Client {
	e.T.Helper()
	c.CreatedAt, c.UpdatedAt = e.Clock.Now(), e.Clock.Now()
	if err := e.Store.CreateClient(e.Ctx(), c); err != nil {
		e.T.Fatal(err)
	}
	return c
}

// AuthRequest parks a request for clientID with the given form.
func (e *Env) AuthRequest(id, clientID string, form url.Values) {
	e.T.Helper()
	err := e.Store.CreateAuthRequest(e.Ctx(), storage.AuthRequest{ID: id, ClientID: clientID, Form: form.Encode(),
		CreatedAt: e.Clock.Now(), ExpiresAt: e.Clock.Now().Add(30 * time.Minute)})
	if err != nil {
		e.T.Fatal(err)
	}
}

// AuthReq reads a parked request back.
func (e *Env) AuthReq(id string) storage.AuthRequest {
	e.T.Helper()
	ar, err := e.Store.GetAuthRequest(e.Ctx(), id, e.Clock.Now())
	if err != nil {
		e.T.Fatal(err)
	}
	return ar
}

// Audits are the audit events of type typ.
func (e *Env) Audits(typ string) []storage.AuditEvent {
	e.T.Helper()
	evs, err := e.Store.ListAudit(e.Ctx(), storage.AuditFilter{Type: typ})
	if err != nil {
		e.T.Fatal(err)
	}
	return evs
}

// WantStatus fails the test unless w answered code.
func WantStatus(t *testing.T, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d, want %d; Location %q\n%s", w.Code, code, w.Header().Get("Location"), w.Body)
	}
}

// WantRedirect fails the test unless w is a 302 to location.
func WantRedirect(t *testing.T, w *httptest.ResponseRecorder, location string) {
	t.Helper()
	if w.Code != http.StatusFound || w.Header().Get("Location") != location {
		t.Fatalf("got %d to %q, want 302 to %q\n%s", w.Code, w.Header().Get("Location"), location, w.Body)
	}
}

// WantSeeOther fails the test unless w is a 303 to location.
func WantSeeOther(t *testing.T, w *httptest.ResponseRecorder, location string) {
	t.Helper()
	resp := w.Result()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), location)
	}
}
