package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ostiary/ostiary/migrations"
)

// A fresh embedded server is ready within 5 s, and a restart keeps every
// client, user and signing key.
func TestRestartKeepsData(t *testing.T) {
	db := database(t, "sqlite")
	srv := newServer(t, db)
	srv.start(5 * time.Second)
	if !strings.Contains(srv.logs(), "password:") {
		t.Fatalf("first start did not print the administrator's password:\n%s", srv.logs())
	}
	var client map[string]string
	srv.cli("", &client, "clients", "create", "--name", "Kept", "--redirect-uri", "https://app.example/cb")
	jwks := get(t, srv.URL+"/.well-known/jwks.json")
	srv.stop()

	again := newServer(t, db)
	again.Env = srv.Env // same port and issuer
	again.URL = srv.URL
	again.start(5 * time.Second)
	if strings.Contains(again.logs(), "password:") {
		t.Fatal("second start created another administrator")
	}
	var clients []map[string]any
	again.cli("", &clients, "clients", "list")
	var users []map[string]any
	again.cli("", &users, "users", "list")
	if len(clients) != 1 || clients[0]["client_id"] != client["client_id"] || len(users) != 1 || users[0]["email"] != "admin@localhost" {
		t.Fatalf("after restart: clients %v, users %v", clients, users)
	}
	if got := get(t, again.URL+"/.well-known/jwks.json"); got != jwks {
		t.Fatalf("signing keys changed across a restart:\n%s\n%s", jwks, got)
	}
}

// Two replicas started at the same moment on one empty PostgreSQL database
// both come up, and each migration runs exactly once.
func TestTwoReplicasStartTogether(t *testing.T) {
	db := database(t, "postgres")
	a, b := newServer(t, db), newServer(t, db)
	var wg sync.WaitGroup
	for _, s := range []*server{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); s.start(20 * time.Second) }()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	want, err := migrations.For("postgres")
	if err != nil {
		t.Fatal(err)
	}
	applied := strings.Count(a.logs(), "applied migration") + strings.Count(b.logs(), "applied migration")
	if applied != len(want) {
		t.Fatalf("migrations applied %d times across both replicas, want %d:\n%s\n%s", applied, len(want), a.logs(), b.logs())
	}
	var dsn string
	for _, kv := range db {
		if v, ok := strings.CutPrefix(kv, "OSTIARY_DATABASE="); ok {
			dsn = v
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(want) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(want))
	}
	// Both replicas publish the same single key set and serve the same
	// client: the database is the only shared state.
	if ja, jb := get(t, a.URL+"/.well-known/jwks.json"), get(t, b.URL+"/.well-known/jwks.json"); ja != jb {
		t.Fatalf("replicas publish different keys:\n%s\n%s", ja, jb)
	}
	var keys struct{ Keys []json.RawMessage }
	json.Unmarshal([]byte(get(t, a.URL+"/.well-known/jwks.json")), &keys)
	if len(keys.Keys) != 1 {
		t.Fatalf("two replicas starting together made %d keys, want 1", len(keys.Keys))
	}

	// A client deleted with the CLI stops working on both replicas well
	// within the 5 s their caches would otherwise keep it: PostgreSQL
	// announces the change (LISTEN/NOTIFY) and each replica forgets it.
	var machine map[string]string
	a.cli("", &machine, "clients", "create", "--name", "Batch", "--grant-type", "client_credentials", "--scope", "batch:run")
	for _, s := range []*server{a, b} {
		clientToken(t, s.URL, machine["client_id"], machine["client_secret"], "batch:run") // now cached there
	}
	a.cli("", nil, "clients", "delete", "--id", machine["client_id"])
	deleted := time.Now()
	for _, s := range []*server{a, b} {
		cc := clientcredentials.Config{ClientID: machine["client_id"], ClientSecret: machine["client_secret"], TokenURL: s.URL + "/oauth2/token",
			Scopes: []string{"batch:run"}, AuthStyle: oauth2.AuthStyleInHeader}
		for {
			_, err := cc.Token(context.Background())
			if err != nil && strings.Contains(err.Error(), "invalid_client") {
				break
			}
			if time.Since(deleted) > 2*time.Second {
				t.Fatalf("replica %s still accepts a client deleted %v ago (err %v)", s.URL, time.Since(deleted), err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
