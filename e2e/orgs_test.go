package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
)

func TestInvitationAndRolesSQLite(t *testing.T)   { invitationAndRoles(t, "sqlite") }
func TestInvitationAndRolesPostgres(t *testing.T) { invitationAndRoles(t, "postgres") }

// invitationAndRoles: an owner creates an organization on the pages and
// invites someone by mail (real SMTP); the invitee accepts by creating an
// account, and their ID token carries the organization and the invited
// role; a role change on the page shows in the next refreshed token, and
// removal makes the next refresh fail.
func invitationAndRoles(t *testing.T, db string) {
	smtp := mailServer(t)
	srv := newServer(t, database(t, db))
	withMailConfig(t, srv, smtp, "  poll_interval: 200ms\n")
	srv.start(15 * time.Second)
	rp := newRelyingParty(t)
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Notes", "--first-party", "--redirect-uri", rp.srv.URL+"/callback")
	rp.connect(srv.URL, client["client_id"], client["client_secret"])
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin", "--verified")

	// Ada creates the organization and invites Grace as an admin.
	owner := newBrowser(t)
	do(t, owner,
		chromedp.Navigate(srv.URL+"/organizations"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Analytical Engines"),
		chromedp.Submit(chromedp.CSS("#name")),
	)
	waitText(t, owner, "Organization created")
	orgPage := location(t, owner)
	do(t, owner,
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "grace@example.com"),
		chromedp.SetValue(chromedp.CSS("#invite-role"), "admin"),
		chromedp.Submit(chromedp.CSS("#invite-email")),
	)
	waitText(t, owner, "Invitation sent")
	screenshot(t, owner, "org-settings")

	subject, text := textPart(t, waitMail(t, smtp, 1))
	if m := smtp.Messages()[0]; m.To[0] != "grace@example.com" || subject != "Ada Lovelace invited you to join Analytical Engines" {
		t.Fatalf("invitation mail to %v: %q", m.To, subject)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL+"/invitations/accept?") + `org=[A-Za-z0-9_-]+&token=[A-Za-z0-9_-]+`).FindString(text)
	if link == "" {
		t.Fatalf("no invitation link in the mail:\n%s", text)
	}

	// Grace has no account: the link's page creates it and joins her.
	const gracePW = "compilers all the way down 1952"
	invitee := newBrowser(t)
	do(t, invitee, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password")))
	waitText(t, invitee, "as admin")
	screenshot(t, invitee, "invitation")
	do(t, invitee,
		chromedp.SendKeys(chromedp.CSS("#name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.CSS("#password"), gracePW),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), gracePW),
		chromedp.Submit(chromedp.CSS("#password_confirm")),
	)
	waitText(t, invitee, "You are now a member")
	do(t, invitee, chromedp.Navigate(link))
	waitText(t, invitee, "no longer valid")

	// She signs in to the application with the session the invitation
	// started: one membership, so no picker, and a first-party client, so no
	// consent. The ID token names the organization and her role.
	do(t, invitee, chromedp.Navigate(rp.srv.URL+"/start"))
	waitText(t, invitee, "RP: signed in")
	res := rp.result()
	c := res.Claims
	if c["org_name"] != "Analytical Engines" || c["org_role"] != "admin" || c["email"] != "grace@example.com" || c["email_verified"] != true {
		t.Fatalf("ID token claims: %v", c)
	}
	grace := c["sub"].(string)
	orgID := c["org_id"].(string)

	// Ada makes her a plain member: the next refreshed access token says so.
	do(t, owner,
		chromedp.Navigate(orgPage),
		chromedp.WaitVisible(chromedp.CSS(`[id="role-`+grace+`"]`)),
		chromedp.SetValue(chromedp.CSS(`[id="role-`+grace+`"]`), "member"),
		chromedp.Click(chromedp.CSS(`form:has(input[value="set_role"]):has(input[value="`+grace+`"]) button`)),
	)
	waitText(t, owner, "Role changed")
	tok := refresh(t, rp, res.Token.RefreshToken)
	at := verifiedClaims(t, srv, tok.AccessToken)
	if at["org_id"] != orgID || at["org_role"] != "member" || at["sub"] != grace {
		t.Fatalf("refreshed access token after the role change: %v", at)
	}

	// Ada removes her: the next refresh fails, the last access token is
	// inactive, and a new sign-in no longer lists the organization.
	do(t, owner,
		chromedp.Navigate(orgPage),
		chromedp.Click(chromedp.CSS(`form:has(input[value="remove"]):has(input[value="`+grace+`"]) button`)),
	)
	waitText(t, owner, "Member removed")
	if _, err := tryRefresh(rp, tok.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh after removal: err = %v, want invalid_grant", err)
	}
	if introspect(t, rp, srv, tok.AccessToken) {
		t.Fatal("access token still active after removal")
	}
	do(t, invitee, chromedp.Navigate(srv.URL+"/organizations"))
	if text := waitText(t, invitee, "Your organizations"); regexp.MustCompile(`Analytical Engines`).MatchString(text) {
		t.Fatalf("the removed member still sees the organization:\n%s", text)
	}
}

// verifiedClaims checks a JWT against the JWKS, as a resource server does,
// and returns its claims.
func verifiedClaims(t *testing.T, srv *server, jwt string) map[string]any {
	t.Helper()
	keys := oidc.NewRemoteKeySet(context.Background(), srv.URL+"/.well-known/jwks.json")
	payload, err := keys.VerifySignature(context.Background(), jwt)
	if err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// screenshot saves the page as NAME.png in $OSTIARY_E2E_SCREENSHOTS, when
// set, so a user can look at what the pages look like.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("OSTIARY_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(actx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
