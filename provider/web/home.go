package web

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/web/admin"
	"github.com/ostiary/ostiary/provider/web/page"
)

type homePage struct {
	Title, Name, Email, LogoutURL, AccountURL, OrgsURL string
	// AdminURL is set for instance administrators only.
	AdminURL string
}

// Home serves GET /: who is signed in on this browser, with a way to sign
// out; without a session it sends the person to the login page, which comes
// back here.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) {
	p.site.Handle(func(w http.ResponseWriter, r *http.Request) error {
		_, user, ok, err := p.site.CurrentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return page.Redirect(w, r, p.site.Path("/login"))
		}
		name := user.Name
		if name == "" {
			name = user.Email
		}
		data := homePage{Title: "Signed in", Name: name, Email: user.Email, LogoutURL: p.site.Path("/logout"), AccountURL: p.site.Path("/account"), OrgsURL: p.site.Path("/organizations")}
		if user.Admin {
			data.AdminURL = p.site.Path(admin.PathAdmin)
		}
		return p.site.Render(w, http.StatusOK, "home", data)
	})(w, r)
}
