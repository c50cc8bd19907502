package signin

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/web/webtest"
	"github.com/ostiary/ostiary/static"
	"github.com/ostiary/ostiary/storage"
)

func TestPageHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.Client(webtest.AppClient())
	h.AuthRequest("req1", "app", webtest.AuthForm())
	for _, target := range []string{"/login", "/login?request=req1", "/login?request=missing", "/logout"} {
		w := h.Browser().Get(target)
		hd := w.Header()
		for k, want := range map[string]string{
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
			"X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8",
		} {
			if got := hd.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", target, k, got, want)
			}
		}
		csp := hd.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self' https: data:",
			"frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, d)
			}
		}
	}
	// The login form of a request ends in a redirect to the client.
	if csp := h.Browser().Get("/login?request=req1").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Errorf("login CSP %q", csp)
	}
}

// TestRenderAllPages renders each page as a user would see it, checks the
// markup rules the design asks for, and writes the pages (with the static
// files) to a directory to look at: $OSTIARY_PAGES_DIR if set, else a temp
// dir.
func TestRenderAllPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := webtest.AppClient()
	c.LogoURI, c.PolicyURI, c.TOSURI = "https://app.example/logo.png", "https://app.example/privacy", "https://app.example/terms"
	h.Client(c)
	h.User("ann", "ann@example.com", "ann-password")
	for _, o := range []string{"acme", "globex"} {
		if err := h.Store.CreateOrg(h.Ctx(), storage.Organization{ID: o, Name: "Org " + o, CreatedAt: h.Clock.Now(), UpdatedAt: h.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.AddMembership(h.Ctx(), storage.Membership{OrgID: o, UserID: "ann", Role: "member", CreatedAt: h.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}

	pages := map[string]string{}
	anon := h.Browser()
	pages["login"] = anon.Get("/login").Body.String()
	h.AuthRequest("r0", "app", webtest.AuthForm())
	pages["login-error"] = anon.Post("/login?request=r0", url.Values{"action": {"login"}, "email": {"x@example.com"}, "password": {"bad"}}).Body.String()
	b := h.SignedInFlow("r1", webtest.AuthForm("scope", "openid profile email offline_access calendar.read"))
	pages["login-continue"] = b.Get("/login?request=r1").Body.String()
	pages["organization"] = b.Get("/organization?request=r1").Body.String()
	pages["consent"] = b.Get("/consent?request=r1").Body.String()
	pages["logout"] = b.Get("/oauth2/logout?client_id=app").Body.String()
	pages["signed-out"] = h.Browser().Get("/logout").Body.String()
	pages["error"] = h.Browser().Get("/login?request=gone").Body.String()
	for range 5 {
		anon.Post("/login", url.Values{"action": {"login"}, "email": {"x@example.com"}, "password": {"bad"}})
	}
	h.Clock.Add(3 * time.Minute)
	pages["throttled"] = anon.Post("/login", url.Values{"action": {"login"}, "email": {"x@example.com"}, "password": {"bad"}}).Body.String()

	dir := os.Getenv("OSTIARY_PAGES_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ostiary.css", "logo.svg", "done.svg"} {
		b, err := fs.ReadFile(static.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "static", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs := regexp.MustCompile(`<input [^>]*>`)
	inlineCode := regexp.MustCompile(`<script|<style|\sstyle=|\son[a-z]+=`)
	// script-src 'self' allows the site's own static script, loaded by src
	// with nothing inline.
	ownScript := regexp.MustCompile(`<script src="/static/[a-z]+\.js\?v=[0-9a-f]+" defer></script>`)
	for name, body := range pages {
		if !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("%s: not a full page with lang:\n%s", name, body)
			continue
		}
		// The CSP allows no inline script or style: none may be in the markup.
		if m := inlineCode.FindString(ownScript.ReplaceAllString(body, "")); m != "" {
			t.Errorf("%s: contains %q, which the CSP forbids", name, m)
		}
		for _, in := range inputs.FindAllString(body, -1) {
			if strings.Contains(in, `type="hidden"`) {
				continue
			}
			id := regexp.MustCompile(`id="([^"]+)"`).FindStringSubmatch(in)
			labelled := (id != nil && strings.Contains(body, `for="`+id[1]+`"`)) || strings.Contains(body, `<label class="option"><input`)
			if !labelled {
				t.Errorf("%s: input without a label: %s", name, in)
			}
		}
		local := strings.ReplaceAll(body, `"/static/`, `"static/`)
		if err := os.WriteFile(filepath.Join(dir, name+".html"), []byte(local), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		"login-error": `role="alert"`, "throttled": "in about 12 minutes", "error": `role="alert"`,
		"login": `autocomplete="current-password"`, "login-continue": "Continue as Ann Example",
	} {
		if !strings.Contains(pages[name], want) {
			t.Errorf("%s page lacks %q", name, want)
		}
	}
}
