package selfservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/browser"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/mail"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

type registerPage struct {
	Title, Action, CSRF, LoginURL string
	ClientName                    string
	Name, Email, Error            string
	MinLength                     int
}

// registerForm serves GET /register: a new account from email, password
// and name (registerPost). The answer to a valid form is the same page,
// byte for byte, whether or not the address has an account: a new address
// gets a verification mail, a known one a mail telling its owner that
// someone tried to register with it. A new account may sign in at once; its
// email stays unverified (email_verified false in tokens) until the link is
// used.
func (p *Pages) registerForm(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	return p.renderRegister(w, r, app, http.StatusOK, registerPage{})
}

// registrationClosed is /register when Registration is off.
func (p *Pages) registrationClosed(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	return p.notice(w, http.StatusNotFound, noticePage{Heading: "Registration is closed",
		Lines: []string{"New accounts cannot be created here. Ask the administrator of this service for an account."},
		Links: []noticeLink{{p.inFlow(pathLogin, app), "Sign in"}}})
}

// registrationByInvitation is /register with InviteOnly.
func (p *Pages) registrationByInvitation(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	return p.notice(w, http.StatusForbidden, noticePage{Heading: "Registration is by invitation",
		Lines: []string{"Accounts on this service are created by invitation only. If someone invited you, open the link in their invitation mail."},
		Links: []noticeLink{{p.inFlow(pathLogin, app), "Sign in"}}})
}

func (p *Pages) renderRegister(w http.ResponseWriter, r *http.Request, app *Application, status int, data registerPage) error {
	data.Title = "Create your account"
	data.ClientName = app.name()
	data.Action = p.inFlow(PathRegister, app)
	data.LoginURL = p.inFlow(pathLogin, app)
	data.MinLength = p.Policy.Length()
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "register", data)
}

func (p *Pages) registerPost(w http.ResponseWriter, r *http.Request) error {
	app, err := p.Requests.Application(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	rawEmail := strings.TrimSpace(r.PostFormValue("email"))
	if len(rawEmail) > maxEmailLen {
		rawEmail = rawEmail[:maxEmailLen]
	}
	keep := registerPage{Name: name, Email: rawEmail}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		if !errors.Is(err, browser.ErrCSRF) {
			return err
		}
		keep.Error = "This form has expired. Please try again."
		return p.renderRegister(w, r, app, http.StatusForbidden, keep)
	}
	if utf8.RuneCountInString(name) > maxNameLen || strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name) {
		keep.Error = fmt.Sprintf("Enter a name of at most %d characters.", maxNameLen)
		return p.renderRegister(w, r, app, http.StatusUnprocessableEntity, keep)
	}
	email, err := accounts.NormalizeEmail(rawEmail)
	if err != nil {
		keep.Error = "Enter a valid email address, like name@example.com."
		return p.renderRegister(w, r, app, http.StatusUnprocessableEntity, keep)
	}
	pw := r.PostFormValue("password")
	if err := p.Policy.Check(pw, email); err != nil {
		refusal, ok := fault.From(err)
		if !ok {
			return err
		}
		keep.Error = refusal.Message
		return p.renderRegister(w, r, app, http.StatusUnprocessableEntity, keep)
	}

	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	existing, err := p.Store.GetUserByEmail(ctx, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		err = p.createAccount(ctx, email, name, pw, ip)
		if errors.Is(err, storage.ErrAlreadyExists) {
			// Someone registered the address a moment ago.
			if existing, err = p.Store.GetUserByEmail(ctx, email); err == nil {
				err = p.registerExisting(ctx, existing, ip)
			}
		}
	case err == nil:
		// Spend the hash the new account would have cost, so timing does
		// not tell the two apart either.
		password.VerifyDummy(pw)
		err = p.registerExisting(ctx, existing, ip)
	}
	if err != nil {
		return fmt.Errorf("selfservice: register: %w", err)
	}
	return p.notice(w, http.StatusOK, noticePage{Heading: "Check your email",
		Lines: []string{
			"We sent a message to " + email + " with the next step.",
			"Open the link in it to confirm your address. If nothing arrives within a few minutes, look in your spam folder.",
		},
		Links: []noticeLink{{p.inFlow(pathLogin, app), "Go to sign in"}}})
}

func (p *Pages) createAccount(ctx context.Context, email, name, pw, ip string) error {
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	now := p.Site.Now().UTC()
	u := storage.User{ID: randtoken.ID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := p.Store.CreateUser(ctx, u); err != nil {
		return err
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "user.registered", ActorID: u.ID, SubjectID: u.ID, IP: ip})
	return p.sendVerification(ctx, u)
}

// registerExisting tells the owner of a known address that someone tried to
// register with it.
func (p *Pages) registerExisting(ctx context.Context, u storage.User, ip string) error {
	p.Site.Audit(ctx, storage.AuditEvent{Type: "registration.existing_email", SubjectID: u.ID, IP: ip})
	if u.Disabled {
		return nil
	}
	return p.Mail.Send(ctx, u.Email, mail.RegisterExisting{Name: u.Name,
		LoginLink: p.Site.Link(pathLogin, nil), ResetLink: p.Site.Link(PathForgotPassword, url.Values{})})
}
