package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
)

type deleteAccountPage struct {
	Title, CSRF, Error, Action, BackURL, Email string
}

type accountDeletedPage struct {
	Title, HomeURL string
}

// DeleteAccount serves GET and POST /account/delete: the person removes
// their own account after typing DELETE and their password. The password
// check is throttled like a sign-in, so the form is no password oracle.
func (p *Pages) DeleteAccount(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(p.deleteAccount)(w, r)
}

func (p *Pages) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := p.site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.site.SignInFirst(w, r)
	}
	data := deleteAccountPage{Title: "Delete your account", Action: p.site.Path("/account/delete"), BackURL: p.site.Path("/"), Email: user.Email}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		if err := p.Sessions.CheckCSRF(r); err != nil {
			return err
		}
		msg, err := p.deleteOwnAccount(w, r, user.ID, user.Email, user.PasswordHash)
		if err != nil {
			return err
		}
		if msg == "" {
			return p.site.Render(w, http.StatusOK, "account_deleted", accountDeletedPage{Title: "Account deleted", HomeURL: p.site.Path("/login")})
		}
		data.Error, status = msg, http.StatusUnprocessableEntity
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return page.Show(http.StatusMethodNotAllowed, "Method not allowed", "This page accepts only GET and POST.")
	}
	data.CSRF = p.Sessions.CSRFToken(w, r)
	return p.site.Render(w, status, "delete_account", data)
}

// deleteOwnAccount checks the confirmation and the password, then deletes.
// A non-empty msg is what to tell the person instead.
func (p *Pages) deleteOwnAccount(w http.ResponseWriter, r *http.Request, userID, email, hash string) (string, error) {
	ctx := r.Context()
	if strings.TrimSpace(r.PostFormValue("confirm")) != "DELETE" {
		return "Type DELETE in capital letters to confirm.", nil
	}
	ip := p.Sessions.RemoteIP(r)
	retry, limited, err := p.Throttle.Check(ctx, email, ip)
	if err != nil {
		return "", err
	}
	if limited {
		return fmt.Sprintf("Too many wrong passwords. Try again %s.", signin.RetryIn(retry)), nil
	}
	pw := r.PostFormValue("password")
	good := false
	if hash != "" && len(pw) <= signin.MaxPasswordLen {
		good, _, err = password.Verify(hash, pw)
		if err != nil {
			good = false
		}
	} else {
		password.VerifyDummy(pw[:min(len(pw), signin.MaxPasswordLen)])
	}
	if !good {
		if err := p.Throttle.Failure(ctx, email, ip); err != nil {
			return "", err
		}
		return "The password is incorrect.", nil
	}
	err = p.Lifecycle.Delete(ctx, accounts.Actor{ID: userID, IP: ip}, userID)
	if errors.Is(err, accounts.ErrLastOwner) {
		return "You are the only owner of an organization that has other members. Make another member an owner, or delete the organization, first.", nil
	}
	if err != nil {
		return "", err
	}
	// The session row went with the account; this clears the cookie.
	if _, _, err := p.Sessions.End(w, r); err != nil {
		p.Logger.WarnContext(ctx, "clear cookie after account deletion", "err", err)
	}
	return "", nil
}
