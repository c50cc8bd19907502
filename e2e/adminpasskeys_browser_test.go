package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ostiary/ostiary/storage"
)

// TestAdminPagesRemovePasskey: in Chromium an instance administrator opens
// a user's page, sees their passkey (name, type, last used), cannot
// remove it without ticking the confirmation (the browser holds the form
// back), removes it with the box ticked, and the audit page shows
// passkey.removed.
func TestAdminPagesRemovePasskey(t *testing.T) {
	db := database(t, "sqlite")
	srv := newServer(t, db)
	srv.start(15 * time.Second)
	var vic map[string]string
	srv.cli(adaPassword+"\n", nil, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified", "--admin")
	srv.cli(adaPassword+"\n", &vic, "users", "create", "--email", "vic@example.com", "--name", "Vic", "--password-stdin", "--verified", "--output", "json")
	st := openDatabase(t, db)
	now := time.Now().UTC()
	if err := st.CreatePasskey(context.Background(), storage.Passkey{ID: "pk1", UserID: vic["id"], CredentialID: []byte("cred-1"),
		Credential: []byte("{}"), Name: "Vic's laptop", Attachment: "platform", CreatedAt: now.Add(-time.Hour), LastUsedAt: now}); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/admin/users/"+vic["id"]),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), adaPassword),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	text := waitText(t, ctx, "Vic's laptop")
	if !strings.Contains(text, "built into a device") || !strings.Contains(text, "last used") {
		t.Fatalf("user page:\n%s", text)
	}
	screenshot(t, ctx, "admin-user-passkeys")

	// Unticked, the browser does not send the form.
	do(t, ctx, chromedp.Click(chromedp.CSS("#remove-passkey-pk1")), chromedp.Sleep(500*time.Millisecond))
	if ps, _ := st.ListPasskeys(context.Background(), vic["id"]); len(ps) != 1 {
		t.Fatalf("removed without the confirmation: %+v", ps)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#confirm-passkey-pk1")), chromedp.Click(chromedp.CSS("#remove-passkey-pk1")))
	if text := waitText(t, ctx, "Passkey removed"); !strings.Contains(text, "No passkey.") {
		t.Fatalf("after the removal:\n%s", text)
	}
	if ps, _ := st.ListPasskeys(context.Background(), vic["id"]); len(ps) != 0 {
		t.Fatalf("passkeys after the removal: %+v", ps)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/admin/audit?type=passkey.removed"))
	if text := waitText(t, ctx, "passkey.removed"); !strings.Contains(text, "pk1") {
		t.Fatalf("audit page:\n%s", text)
	}
}
