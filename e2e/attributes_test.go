package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Attributes end to end, in Chromium: an administrator sets a person's
// attributes with the CLI; the person edits the key the instance marks
// editable on the account page; the instance schema's refusal shows on the
// page and changes nothing; the CLI reads back both.
func TestAccountAttributesInBrowser(t *testing.T) {
	srv := newServer(t, database(t, "sqlite"))
	dir := t.TempDir()
	schema := filepath.Join(dir, "user.schema.json")
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(schema, []byte(`{"type":"object","properties":{"nickname":{"type":"string","maxLength":10}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("attributes:\n  editable: [nickname]\n  user_schema: "+schema+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Args = []string{"--config", cfg}
	srv.start(15 * time.Second)
	var ada map[string]string
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--password-stdin", "--verified")
	srv.cli("", nil, "users", "set-attributes", "--user", ada["id"], "--json", `{"department":"Eng"}`)

	ctx := newBrowser(t)
	signInToAccount(t, ctx, srv, "ada@example.com", adaPassword)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#attr-nickname"), "Countess"),
		chromedp.Click(chromedp.CSS(`form[action$="/account/attributes"] button`)),
	)
	waitText(t, ctx, "Your details were saved")
	var u map[string]any
	srv.cli("", &u, "users", "get", "--user", ada["id"], "--output", "json")
	if want := map[string]any{"department": "Eng", "nickname": "Countess"}; !reflect.DeepEqual(u["attributes"], want) {
		t.Fatalf("attributes after the page = %v, want %v", u["attributes"], want)
	}

	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#attr-nickname"), "Countess of Lovelace"),
		chromedp.Click(chromedp.CSS(`form[action$="/account/attributes"] button`)),
	)
	if body := waitText(t, ctx, "schema"); !strings.Contains(body, "/nickname") {
		t.Errorf("the refusal does not show the validator's message:\n%s", body)
	}
	srv.cli("", &u, "users", "get", "--user", ada["id"], "--output", "json")
	if u["attributes"].(map[string]any)["nickname"] != "Countess" {
		t.Errorf("a refused save changed the attributes: %v", u["attributes"])
	}
	if strings.Contains(bodyText(t, ctx), "department") {
		t.Error("the account page shows an attribute the person may not edit")
	}
}
