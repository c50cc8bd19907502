package web

import "net/http"

type homePage struct {
	Title, Name, Email, LogoutURL, AccountURL, OrgsURL string
	// AdminURL is set for instance administrators only.
	AdminURL string
}

// Home serves GET /: who is signed in on this browser, with a way to sign
// out; without a session it sends the person to the login page, which comes
// back here.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) {
	p.handle(func(w http.ResponseWriter, r *http.Request) error {
		_, user, ok, err := p.currentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return p.redirect(w, r, p.path("/login"))
		}
		name := user.Name
		if name == "" {
			name = user.Email
		}
		data := homePage{Title: "Signed in", Name: name, Email: user.Email, LogoutURL: p.path("/logout"), AccountURL: p.path("/account"), OrgsURL: p.path("/organizations")}
		if user.Admin {
			data.AdminURL = p.path(PathAdmin)
		}
		return p.render(w, http.StatusOK, "home", data)
	})(w, r)
}
