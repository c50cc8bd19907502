package webtest

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/ostiary/ostiary/storage"
)

// Agent is one browser: it keeps cookies and reads form tokens from pages.
type Agent struct {
	Env     *Env
	Cookies map[string]*http.Cookie
	// CSRF is the form token of the last page that had one.
	CSRF string
	// Site is the Sec-Fetch-Site header to send ("" for none).
	Site string
}

// Browser is a new browser with no cookies, on the same site.
func (e *Env) Browser() *Agent {
	return &Agent{Env: e, Cookies: map[string]*http.Cookie{}, Site: "same-origin"}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// Do sends one request (a form body when form is not nil) to Env.Handler.
func (a *Agent) Do(method, target string, form url.Values) *httptest.ResponseRecorder {
	a.Env.T.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, Issuer+target, body)
	r.RemoteAddr = "198.51.100.20:40000"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if a.Site != "" {
		r.Header.Set("Sec-Fetch-Site", a.Site)
	}
	for _, c := range a.Cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.Env.Handler.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(a.Cookies, c.Name)
		} else {
			a.Cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if m := csrfField.FindStringSubmatch(w.Body.String()); m != nil {
		a.CSRF = html.UnescapeString(m[1])
	}
	return w
}

// Get is a GET of target.
func (a *Agent) Get(target string) *httptest.ResponseRecorder {
	return a.Do(http.MethodGet, target, nil)
}

// Post sends form with the token of the last page this agent saw.
func (a *Agent) Post(target string, form url.Values) *httptest.ResponseRecorder {
	if form.Get("csrf_token") == "" && a.CSRF != "" {
		form.Set("csrf_token", a.CSRF)
	}
	return a.Do(http.MethodPost, target, form)
}

// SignIn goes through the plain /login form.
func (a *Agent) SignIn(email, pw string) {
	a.Env.T.Helper()
	a.Get("/login")
	w := a.Post("/login", url.Values{"action": {"login"}, "email": {email}, "password": {pw}})
	if w.Code != http.StatusFound {
		a.Env.T.Fatalf("sign in as %s: status %d\n%s", email, w.Code, w.Body)
	}
}

// Session is the browser session this agent's cookies carry, if any.
func (a *Agent) Session() (storage.Session, bool) {
	a.Env.T.Helper()
	r := httptest.NewRequest("GET", Issuer+"/", nil)
	for _, c := range a.Cookies {
		r.AddCookie(c)
	}
	s, ok, err := a.Env.Sessions.Current(r)
	if err != nil {
		a.Env.T.Fatal(err)
	}
	return s, ok
}

// Call posts form to a page script's JSON call (the passkey ceremonies)
// and decodes the answer, failing unless it is JSON with status.
func (a *Agent) Call(target string, form url.Values, status int) map[string]any {
	a.Env.T.Helper()
	w := a.Post(target, form)
	var out map[string]any
	if w.Code != status || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
		json.Unmarshal(w.Body.Bytes(), &out) != nil {
		a.Env.T.Fatalf("POST %s = %d %s, want %d JSON:\n%s", target, w.Code, w.Header().Get("Content-Type"), status, w.Body)
	}
	return out
}
