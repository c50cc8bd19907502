package webtest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ostiary/ostiary/internal/fakeidp"
	"github.com/ostiary/ostiary/provider/connectors"
)

// Ada is the user the fake upstream signs in by default.
var Ada = fakeidp.Person{Subject: "upstream-ada", Email: "ada@corp.example", Name: "Ada Corp", EmailVerified: true}

// Upstream starts a fake OpenID provider on 127.0.0.1 signing in user and
// returns it with the connector set of one OIDC connector to it, "corp"
// ("Corp SSO"), for the area's test to build federation on.
func (e *Env) Upstream(person fakeidp.Person, mutate ...func(*connectors.Config)) (*fakeidp.Server, *connectors.Set) {
	e.T.Helper()
	up := fakeidp.New(person)
	e.T.Cleanup(up.Close)
	cfg := connectors.Config{ID: "corp", Type: connectors.TypeOIDC, Name: "Corp SSO", Issuer: up.URL,
		ClientID: up.ClientID, ClientSecret: up.ClientSecret}
	for _, m := range mutate {
		m(&cfg)
	}
	set, err := connectors.NewSet([]connectors.Config{cfg}, connectors.Deps{Now: e.Clock.Now})
	if err != nil {
		e.T.Fatal(err)
	}
	up.Now = e.Clock.Now
	return up, set
}

// StartUpstream clicks "Sign in with Corp SSO" on the login page of the
// parked request (if any) and follows the upstream's instant approval; it
// returns the callback path with query that the upstream sent back.
func (a *Agent) StartUpstream(requestID string) string {
	a.Env.T.Helper()
	login, start := "/login", "/login/upstream/corp"
	if requestID != "" {
		login += "?request=" + requestID
		start += "?request=" + requestID
	}
	page := a.Get(login)
	if !strings.Contains(page.Body.String(), "Sign in with Corp SSO") {
		a.Env.T.Fatalf("login page has no upstream button:\n%s", page.Body)
	}
	w := a.Post(start, url.Values{})
	if w.Code != http.StatusSeeOther {
		a.Env.T.Fatalf("start: status %d\n%s", w.Code, w.Body)
	}
	return a.FollowUpstream(w.Header().Get("Location"))
}

// upstreamCallback is where the upstream sends the browser back
// (federation.PathUpstreamCallback; webtest imports no area).
const upstreamCallback = "/login/upstream/callback"

// FollowUpstream asks the upstream's authorization endpoint and returns
// where it sends the browser back to (path and query at the broker).
func (a *Agent) FollowUpstream(authURL string) string {
	a.Env.T.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		a.Env.T.Fatalf("upstream authorize: %v", err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), Issuer+upstreamCallback) {
		a.Env.T.Fatalf("upstream sent the browser to %q (status %d)", resp.Header.Get("Location"), resp.StatusCode)
	}
	return back.Path + "?" + back.RawQuery
}
