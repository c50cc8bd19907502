package webtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ostiary/ostiary/provider/web/page"
)

// TestMountAndAgent: a mounted route is reached by an agent, which sends
// the form with the CSRF token the last page carried.
func TestMountAndAgent(t *testing.T) {
	t.Parallel()
	e := New(t)
	e.Mount([]page.Route{
		page.Get("/form", func(w http.ResponseWriter, r *http.Request) error {
			_, _ = w.Write([]byte(`<input name="csrf_token" value="tok&amp;1">`))
			return nil
		}),
		page.Post("/form", func(w http.ResponseWriter, r *http.Request) error {
			return page.RedirectSeeOther(w, r, "/done?csrf="+url.QueryEscape(r.PostFormValue("csrf_token")))
		}),
	})
	b := e.Browser()
	WantStatus(t, b.Get("/form"), http.StatusOK)
	WantSeeOther(t, b.Post("/form", url.Values{}), "/done?csrf=tok%261")
	WantStatus(t, b.Do(http.MethodPut, "/form", nil), http.StatusMethodNotAllowed)
}
