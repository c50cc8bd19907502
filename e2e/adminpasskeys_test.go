package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/sqlite"
)

func TestAdminPasskeysSQLite(t *testing.T)   { adminPasskeysFlow(t, "sqlite") }
func TestAdminPasskeysPostgres(t *testing.T) { adminPasskeysFlow(t, "postgres") }

// openDatabase opens the store a server of db (database's answer) runs on,
// to seed what no API makes: passkeys come from WebAuthn ceremonies.
func openDatabase(t *testing.T, db []string) storage.Store {
	t.Helper()
	for _, kv := range db {
		v, ok := strings.CutPrefix(kv, "OSTIARY_DATABASE=")
		if !ok {
			continue
		}
		var st interface {
			storage.Store
			Close() error
		}
		var err error
		if path, isSQLite := strings.CutPrefix(v, "sqlite:"); isSQLite {
			st, err = sqlite.Open(context.Background(), path)
		} else {
			st, err = postgres.Open(context.Background(), v)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Fatal("no OSTIARY_DATABASE")
	return nil
}

// adminPasskeysFlow: an operator's automation lists and removes a user's
// passkeys through the admin API (audited passkey.removed, by the
// client), the CLI lists them and resets the user's second factors,
// which removes the rest; an organization's require_passkey is set
// through PATCH and audited org.require_passkey.
func adminPasskeysFlow(t *testing.T, kind string) {
	db := database(t, kind)
	srv := newServer(t, db)
	srv.start(15 * time.Second)
	base := srv.URL

	var auto, ada, org map[string]string
	srv.cli("", &auto, "clients", "create", "--name", "Automation", "--grant-type", "client_credentials", "--scope", "ostiary:admin")
	srv.cli(adaPassword+"\n", &ada, "users", "create", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--verified")
	srv.cli("", &org, "orgs", "create", "--name", "Acme")
	token := clientToken(t, base, auto["client_id"], auto["client_secret"], "ostiary:admin")

	st := openDatabase(t, db)
	now := time.Now().UTC().Truncate(time.Second)
	for _, p := range []storage.Passkey{
		{ID: "pk1", UserID: ada["id"], CredentialID: []byte("cred-1"), Credential: []byte("{}"), Name: "Laptop", Attachment: "platform", CreatedAt: now},
		{ID: "pk2", UserID: ada["id"], CredentialID: []byte("cred-2"), Credential: []byte("{}"), Name: "Key", Attachment: "cross-platform", CreatedAt: now.Add(time.Second)},
	} {
		if err := st.CreatePasskey(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}

	type passkeyList struct {
		Items []struct {
			ID, Name, Type string
			CreatedAt      string `json:"created_at"`
		} `json:"items"`
	}
	status, _, body := adminAPI(t, base, "GET", "/users/"+ada["id"]+"/passkeys", token, nil)
	var list passkeyList
	if json.Unmarshal(body, &list); status != http.StatusOK || len(list.Items) != 2 || list.Items[0].Type != "platform" && list.Items[1].Type != "platform" {
		t.Fatalf("list passkeys: %d %s", status, body)
	}
	if strings.Contains(string(body), "credential") {
		t.Errorf("the list shows the credential: %s", body)
	}
	status, _, body = adminAPI(t, base, "GET", "/users/nobody/passkeys", token, nil)
	wantError(t, "passkeys of nobody", status, body, http.StatusNotFound, "not_found")
	if status, _, body := adminAPI(t, base, "DELETE", "/users/"+ada["id"]+"/passkeys/pk1", token, nil); status != http.StatusNoContent {
		t.Fatalf("remove passkey: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "DELETE", "/users/"+ada["id"]+"/passkeys/pk1", token, nil)
	wantError(t, "remove a removed passkey", status, body, http.StatusNotFound, "not_found")
	status, _, body = adminAPI(t, base, "GET", "/audit-events?type=passkey.removed&actor=client:"+auto["client_id"], token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"passkey_id": "pk1"`) {
		t.Fatalf("audit of the removal: %d %s", status, body)
	}

	var cliList []map[string]any
	srv.cli("", &cliList, "passkeys", "list", "--user", "ada@example.com", "--output", "json")
	if len(cliList) != 1 || cliList[0]["id"] != "pk2" || cliList[0]["type"] != "roaming" {
		t.Fatalf("passkeys list: %v", cliList)
	}
	// ada has no authenticator app: the reset is of her passkey alone.
	srv.cli("", nil, "users", "reset-mfa", "--user", "ada@example.com")
	status, _, body = adminAPI(t, base, "GET", "/users/"+ada["id"]+"/passkeys", token, nil)
	if list = (passkeyList{}); json.Unmarshal(body, &list) != nil || status != http.StatusOK || len(list.Items) != 0 {
		t.Fatalf("passkeys after the reset: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "POST", "/users/"+ada["id"]+"/reset-mfa", token, nil)
	wantError(t, "reset with neither a factor nor a passkey", status, body, http.StatusNotFound, "not_found")

	status, _, body = adminAPI(t, base, "PATCH", "/orgs/"+org["id"], token, map[string]any{"require_passkey": true})
	if status != http.StatusOK || !strings.Contains(string(body), `"require_passkey": true`) || !strings.Contains(string(body), `"require_mfa": false`) {
		t.Fatalf("PATCH require_passkey: %d %s", status, body)
	}
	status, _, body = adminAPI(t, base, "GET", "/audit-events?type=org.require_passkey", token, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"on": "true"`) {
		t.Fatalf("audit of require_passkey: %d %s", status, body)
	}
}
