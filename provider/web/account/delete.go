package account

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/password"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type deleteAccountPage struct {
	Title, CSRF, Error, Action, BackURL, Email string
}

type accountDeletedPage struct {
	Title, HomeURL string
}

// deleteForm serves GET /account/delete: the user removes their own
// account after typing DELETE and their password (deletePost). The
// password check is throttled like a sign-in, so the form is no password
// oracle.
func (p *Pages) deleteForm(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.Site.SignInFirst(w, r)
	}
	return p.renderDelete(w, r, http.StatusOK, user, "")
}

func (p *Pages) deletePost(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return p.Site.SignInFirst(w, r)
	}
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	msg, err := p.deleteOwnAccount(w, r, user.ID, user.Email, user.PasswordHash)
	if err != nil {
		return err
	}
	if msg == "" {
		return p.Site.Render(w, http.StatusOK, "account_deleted", accountDeletedPage{Title: "Account deleted", HomeURL: p.Site.Path(pathLogin)})
	}
	return p.renderDelete(w, r, http.StatusUnprocessableEntity, user, msg)
}

func (p *Pages) renderDelete(w http.ResponseWriter, r *http.Request, status int, user storage.User, msg string) error {
	data := deleteAccountPage{Title: "Delete your account", Action: p.Site.Path(PathDelete), BackURL: p.Site.Path(PathHome),
		Email: user.Email, Error: msg}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, status, "delete_account", data)
}

// deleteOwnAccount checks the confirmation and the password, then deletes.
// A non-empty msg is what to tell the user instead.
func (p *Pages) deleteOwnAccount(w http.ResponseWriter, r *http.Request, userID, email, hash string) (string, error) {
	ctx := r.Context()
	if strings.TrimSpace(r.PostFormValue("confirm")) != "DELETE" {
		return "Type DELETE in capital letters to confirm.", nil
	}
	ip := p.Site.Sessions().RemoteIP(r)
	retry, limited, err := p.Throttle.Check(ctx, email, ip)
	if err != nil {
		return "", err
	}
	if limited {
		return fmt.Sprintf("Too many wrong passwords. Try again %s.", page.RetryIn(retry)), nil
	}
	pw := r.PostFormValue("password")
	good := false
	if hash != "" && len(pw) <= maxPasswordLen {
		good, _, err = password.Verify(hash, pw)
		if err != nil {
			good = false
		}
	} else {
		password.VerifyDummy(pw[:min(len(pw), maxPasswordLen)])
	}
	if !good {
		if err := p.Throttle.Failure(ctx, email, ip); err != nil {
			return "", err
		}
		return "The password is incorrect.", nil
	}
	err = p.Users.Delete(ctx, accounts.Actor{ID: userID, IP: ip}, userID)
	if errors.Is(err, accounts.ErrLastOwner) {
		return "You are the only owner of an organization that has other members. Make another member an owner, or delete the organization, first.", nil
	}
	if err != nil {
		return "", err
	}
	// The session row went with the account; this clears the cookie.
	if _, _, err := p.Site.Sessions().End(w, r); err != nil {
		p.Site.Logger().WarnContext(ctx, "clear cookie after account deletion", "err", err)
	}
	return "", nil
}
