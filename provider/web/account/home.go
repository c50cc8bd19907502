package account

import (
	"net/http"

	"github.com/ostiary/ostiary/provider/web/page"
)

type homePage struct {
	Title, Name, Email, LogoutURL, AccountURL, OrgsURL string
	// AdminURL is set for instance administrators only.
	AdminURL string
}

// home serves GET /: who is signed in on this browser, with a way to sign
// out; without a session it sends the user to the login page, which comes
// back here.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := p.Site.CurrentUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return page.Redirect(w, r, p.Site.Path(pathLogin))
	}
	name := user.Name
	if name == "" {
		name = user.Email
	}
	data := homePage{Title: "Signed in", Name: name, Email: user.Email, LogoutURL: p.Site.Path(pathLogout),
		AccountURL: p.Site.Path(PathAccount), OrgsURL: p.Site.Path(pathOrgs)}
	if user.Admin {
		data.AdminURL = p.Site.Path(pathAdmin)
	}
	return p.Site.Render(w, http.StatusOK, "home", data)
}
