package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEmailChangeSQLite(t *testing.T)   { emailChange(t, "sqlite") }
func TestEmailChangePostgres(t *testing.T) { emailChange(t, "postgres") }

// emailChange is item 17 of issue #11: changing the address on the account
// page answered 500 every time (the mail template and its sender disagreed).
// The new address gets its own confirmation mail over real SMTP, the link
// makes the change, the old address is told, and the new address signs in.
func emailChange(t *testing.T, db string) {
	smtp := mailServer(t)
	srv := newServer(t, database(t, db))
	withMailConfig(t, srv, smtp, "  poll_interval: 200ms\n")
	srv.start(15 * time.Second)
	const pw = "tangerine bicycle quietly 42"
	var ada map[string]string
	srv.cli(pw+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified")

	c := newFormClient(t, srv.URL)
	if code, body := c.submit("/login", url.Values{"action": {"login"}, "email": {"ada@example.com"}, "password": {pw}}); code != 200 || !c.signedIn() {
		t.Fatalf("sign-in: %d\n%s", code, body)
	}
	if code, body := c.submitTo("/account", "/account/email", url.Values{"new_email": {"ada@new.example"}, "current_password": {pw}}); code != 200 ||
		!strings.Contains(body, "We sent a confirmation link to the new address") {
		t.Fatalf("request the change: %d\n%s", code, body)
	}
	m := waitMail(t, smtp, 1)
	subject, text := textPart(t, m)
	if m.To[0] != "ada@new.example" || subject != "Confirm your new email address for Ostiary" ||
		!strings.Contains(text, "from ada@example.com to this address, ada@new.example") || strings.Contains(text, "create an Ostiary account") {
		t.Fatalf("confirmation mail to %v, %q:\n%s", m.To, subject, text)
	}
	link := strings.TrimPrefix(linkIn(t, text, srv.URL, "/account/email/confirm"), srv.URL)
	token := strings.TrimPrefix(link, "/account/email/confirm?token=")
	if code, body := c.submitTo(link, "/account/email/confirm", url.Values{"token": {token}}); code != 200 || !strings.Contains(body, "Email address changed") {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	m = waitMail(t, smtp, 2)
	if subject, _ := textPart(t, m); m.To[0] != "ada@example.com" || subject != "Your Ostiary email address was changed" {
		t.Fatalf("notice to %v: %q", m.To, subject)
	}
	again := newFormClient(t, srv.URL)
	if again.submit("/login", url.Values{"action": {"login"}, "email": {"ada@new.example"}, "password": {pw}}); !again.signedIn() {
		t.Fatal("the new address does not sign in")
	}
}
