package selfservice

import (
	"net/http"
	"strings"

	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/storage"
)

type tokenFormPage struct {
	Title, Action, CSRF, Token, Error string
	MinLength                         int
}

// verifyForm serves GET /verify-email, the link of the verification mail:
// it only shows a button; the POST it makes (verifyEmail) uses the token,
// so a mail scanner that fetches every link does not use it up.
func (p *Pages) verifyForm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" {
		return incompleteLink()
	}
	data := tokenFormPage{Title: "Confirm your email address", Action: p.Site.Path(PathVerifyEmail), Token: token}
	data.CSRF = p.Site.Sessions().CSRFToken(w, r)
	return p.Site.Render(w, http.StatusOK, "verify_email", data)
}

func (p *Pages) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	if err := p.Site.Sessions().CheckCSRF(r); err != nil {
		return err
	}
	ctx := r.Context()
	t, u, ok, err := p.consumeToken(ctx, PurposeVerifyEmail, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	if !ok {
		return p.notice(w, http.StatusBadRequest, noticePage{Heading: "This link has expired",
			Lines: []string{"The confirmation link has expired, was used already, or a newer one was sent since. Only the newest link works, once."},
			Links: []noticeLink{{p.Site.Path(pathLogin), "Sign in"}}})
	}
	err = p.Store.UpdateUser(ctx, u.ID, func(cur storage.User) (storage.User, error) {
		// The address must still be the one the link was sent to.
		if strings.EqualFold(cur.Email, t.Email) && !cur.EmailVerified {
			cur.EmailVerified = true
			cur.UpdatedAt = p.Site.Now().UTC()
		}
		return cur, nil
	})
	if err != nil {
		return err
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "email.verified", ActorID: u.ID, SubjectID: u.ID, IP: p.Site.Sessions().RemoteIP(r),
		Details: map[string]string{"email": t.Email}})
	return p.notice(w, http.StatusOK, noticePage{Heading: "Email address confirmed",
		Lines: []string{"Thank you: " + u.Email + " is confirmed as your address."},
		Links: []noticeLink{{p.Site.Path(pathHome), "Continue"}}})
}

func incompleteLink() error {
	return page.Show(http.StatusBadRequest, "This link is incomplete",
		"Open the link from the mail exactly as it is, or copy the whole address into the browser.")
}
