package oauth

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The form_post page (OAuth 2.0 Form Post Response Mode §2) runs only its
// own nonce'd script, may post only to the redirect URI's origin, is never
// cached, escapes every value and works without scripts.
func TestFormPostPage(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	u, _ := url.Parse("https://app.example:8443/cb?x=1")
	writeFormPost(w, u, url.Values{"code": {`a"><script>alert(1)</script>`}, "state": {"s"}})
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	m := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
	if m == nil || !strings.Contains(csp, "form-action https://app.example:8443;") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("headers %v", h)
	}
	body := w.Body.String()
	for _, want := range []string{`<script nonce="` + m[1] + `">`, `<button type="submit">`, `action="https://app.example:8443/cb?x=1"`,
		`name="state" value="s"`, `&lt;script&gt;`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Count(body, "<script") != 1 {
		t.Errorf("a parameter injected markup:\n%s", body)
	}
	if formActionSource(&url.URL{Scheme: "com.example.app", Path: "/cb"}) != "com.example.app:" {
		t.Error("private-use scheme source")
	}
}
