package e2e

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ostiary/ostiary/internal/smtptest"
)

// mailServer is a test SMTP server on loopback that the ostiary server under
// test delivers to.
func mailServer(t *testing.T) *smtptest.Server {
	t.Helper()
	s, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// withMailConfig points srv at the SMTP server by a config file; extra is
// more YAML under mail:.
func withMailConfig(t *testing.T, srv *server, smtp *smtptest.Server, extra string) {
	t.Helper()
	cfg := fmt.Sprintf("mail:\n  from: Ostiary <id@ostiary.test>\n  smtp:\n    host: %s\n    port: %d\n    tls: none\n%s",
		smtp.Host, smtp.Port, extra)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Args = []string{"--config", path}
}

// textPart returns the decoded text/plain part of a delivered mail.
func textPart(t *testing.T, m smtptest.Message) (subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatalf("delivered mail does not parse: %v\n%s", err, m.Data)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part in\n%s", m.Data)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(p)
			return subject, string(b)
		}
	}
}

// waitMail waits for the n-th delivered mail (1-based) and returns it.
func waitMail(t *testing.T, smtp *smtptest.Server, n int) smtptest.Message {
	t.Helper()
	got := smtp.WaitMessages(n, 20*time.Second)
	if len(got) < n {
		t.Fatalf("mail %d never arrived; %d delivered", n, len(got))
	}
	return got[n-1]
}

// linkIn finds the link to path in a mail's text.
func linkIn(t *testing.T, text, base, path string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(base+path) + `\?token=[A-Za-z0-9_-]+`).FindString(text)
	if m == "" {
		t.Fatalf("no %s link in the mail:\n%s", path, text)
	}
	return m
}

// formClient is a second browser, without JavaScript: a cookie jar that
// fills in forms.
type formClient struct {
	t    *testing.T
	http *http.Client
	base string
}

func newFormClient(t *testing.T, base string) *formClient {
	jar, _ := cookiejar.New(nil)
	return &formClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// submit loads page, then posts form to it with the page's form token and
// returns the final status and body.
func (c *formClient) submit(page string, form url.Values) (int, string) {
	c.t.Helper()
	return c.submitTo(page, page, form)
}

// submitTo loads page, then posts form with the page's form token to
// action (a form of page that posts elsewhere).
func (c *formClient) submitTo(page, action string, form url.Values) (int, string) {
	c.t.Helper()
	_, body := c.get(page)
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no form token on %s:\n%s", page, body)
	}
	form.Set("csrf_token", m[1])
	resp, err := c.http.PostForm(c.base+action, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *formClient) get(page string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + page)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *formClient) signedIn() bool {
	c.t.Helper()
	_, body := c.get("/")
	return strings.Contains(body, "You are signed in")
}

func TestRegistrationAndResetSQLite(t *testing.T)   { registrationAndReset(t, "sqlite") }
func TestRegistrationAndResetPostgres(t *testing.T) { registrationAndReset(t, "postgres") }

// registrationAndReset is a user's life without an administrator: they
// register in Chromium, get the verification mail over real SMTP, confirm
// the address (the ID token then says email_verified true), forget the
// password, reset it from the mailed link, and the reset ends their other
// browser session and every refresh token issued before it.
func registrationAndReset(t *testing.T, db string) {
	smtp := mailServer(t)
	srv := newServer(t, database(t, db))
	withMailConfig(t, srv, smtp, "  poll_interval: 200ms\n")
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Notes", "--first-party",
		"--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	ctx := newBrowser(t)

	// Register from the login page's link, which keeps the app's request.
	const first, second = "tangerine bicycle quietly 42", "new lantern over harbour 7"
	do(t, ctx,
		chromedp.Navigate(rp.srv.URL+"/start"),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/register?request="]`)),
		chromedp.Click(chromedp.CSS(`a[href^="/register?request="]`)),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.CSS("#email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), first),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "Check your email")
	subject, text := textPart(t, waitMail(t, smtp, 1))
	if m := smtp.Messages()[0]; m.To[0] != "grace@example.com" || subject != "Confirm your email address for Ostiary" {
		t.Fatalf("verification mail to %v: %q", m.To, subject)
	}
	verify := linkIn(t, text, srv.URL, "/verify-email")

	// "Go to sign in" goes back to the app's authorization; signing in
	// works before the address is confirmed, and the ID token says so.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`a[href^="/login?request="]`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), first),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	waitText(t, ctx, "RP: signed in")
	before := rp.result()
	if before.Claims["email"] != "grace@example.com" || before.Claims["email_verified"] != false || before.Claims["name"] != "Grace Hopper" {
		t.Fatalf("ID token before verification: %v", before.Claims)
	}

	// The link shows a button; the POST confirms.
	do(t, ctx, chromedp.Navigate(verify), chromedp.WaitVisible(chromedp.CSS(`button[type="submit"]`)))
	waitText(t, ctx, "Confirm your email address")
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	waitText(t, ctx, "Email address confirmed")
	do(t, ctx, chromedp.Navigate(rp.srv.URL+"/start?prompt=none"))
	waitText(t, ctx, "RP: signed in")
	verified := rp.result()
	if verified.Claims["email_verified"] != true {
		t.Fatalf("ID token after verification: %v", verified.Claims)
	}
	var users []map[string]any
	srv.cli("", &users, "users", "list")
	for _, u := range users {
		if u["email"] == "grace@example.com" && u["email_verified"] != true {
			t.Fatalf("users list: %v", u)
		}
	}

	// A second browser signs in as Grace too.
	laptop := newFormClient(t, srv.URL)
	if code, body := laptop.submit("/login", url.Values{"action": {"login"}, "email": {"grace@example.com"}, "password": {first}}); code != 200 || !laptop.signedIn() {
		t.Fatalf("second browser sign-in: %d\n%s", code, body)
	}
	oldRefresh := verified.Token.RefreshToken
	oldAccess := verified.Token.AccessToken
	if !introspect(t, rp, srv, oldAccess) {
		t.Fatal("fresh access token inactive")
	}

	// Forgot password → mail → new password.
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/login?switch=1"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/forgot-password"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/forgot-password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "grace@example.com"),
		chromedp.Submit(chromedp.CSS("#email")),
	)
	waitText(t, ctx, "Check your email")
	subject, text = textPart(t, waitMail(t, smtp, 2))
	if subject != "Reset your Ostiary password" {
		t.Fatalf("reset mail subject %q", subject)
	}
	reset := linkIn(t, text, srv.URL, "/reset-password")
	do(t, ctx,
		chromedp.Navigate(reset),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), second),
		chromedp.SendKeys(chromedp.CSS("#confirm"), second),
		chromedp.Submit(chromedp.CSS("#confirm")),
	)
	waitText(t, ctx, "Your password has been changed")

	// The other browser is signed out; every refresh token from before is
	// dead and the access token inactive at introspection.
	if laptop.signedIn() {
		t.Fatal("the other browser is still signed in after the reset")
	}
	for _, rt := range []string{before.Token.RefreshToken, oldRefresh} {
		if _, err := tryRefresh(rp, rt); !isInvalidGrant(err) {
			t.Fatalf("refresh token from before the reset: err = %v, want invalid_grant", err)
		}
	}
	if introspect(t, rp, srv, oldAccess) {
		t.Fatal("access token from before the reset is still active")
	}
	// The old password is refused, the new one works.
	again := newFormClient(t, srv.URL)
	if code, _ := again.submit("/login", url.Values{"action": {"login"}, "email": {"grace@example.com"}, "password": {first}}); code != 422 {
		t.Fatalf("old password after reset: status %d", code)
	}
	if again.submit("/login", url.Values{"action": {"login"}, "email": {"grace@example.com"}, "password": {second}}); !again.signedIn() {
		t.Fatal("the new password does not sign in")
	}
	// Exactly the two mails went out.
	time.Sleep(500 * time.Millisecond)
	if n := len(smtp.Messages()); n != 2 {
		t.Fatalf("%d mails delivered, want 2", n)
	}
}
