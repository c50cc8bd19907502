package webtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// SignInAs signs the agent in as userID by starting its browser session
// directly, as a password sign-in does, for tests of pages behind sign-in
// that do not mount the login page (web/signin's). It replaces any
// session the agent had.
func (a *Agent) SignInAs(userID string) {
	a.Env.T.Helper()
	r := httptest.NewRequest(http.MethodPost, Issuer+"/login", nil)
	r.RemoteAddr = "198.51.100.20:40000"
	for _, c := range a.Cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	if _, err := a.Env.Sessions.Start(w, r, userID, []string{"pwd"}, a.Env.Clock.Now()); err != nil {
		a.Env.T.Fatalf("sign in as %s: %v", userID, err)
	}
	for _, c := range w.Result().Cookies() {
		a.Cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
}

// CreateOrg creates an organization named name through the organizations
// page (web/orgs), as the signed-in agent, and returns its id.
func (a *Agent) CreateOrg(name string) string {
	t := a.Env.T
	t.Helper()
	a.Get("/organizations")
	w := a.Post("/organizations", url.Values{"action": {"create"}, "name": {name}})
	WantStatus(t, w, http.StatusSeeOther)
	loc := w.Header().Get("Location")
	id, ok := strings.CutPrefix(strings.TrimSuffix(loc, "?done=created"), "/organizations/")
	if !ok {
		t.Fatalf("create redirected to %q", loc)
	}
	return id
}
