package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// Two stores on one database stand for two replicas: a client written
// through one (or by plain SQL) is announced to the other when the
// transaction commits, and a lost listening connection is reported as
// "forget everything" before notifications resume.
func TestWatchClientsAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	writer, watcher := open(), open()
	if _, err := writer.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	heard := make(chan string, 16)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- watcher.WatchClients(wctx, func(id string) { heard <- id }) }()
	defer func() {
		stop()
		if err := <-done; err != context.Canceled {
			t.Errorf("WatchClients after cancel: %v", err)
		}
	}()
	expect := func(what, want string) {
		t.Helper()
		select {
		case got := <-heard:
			if got != want {
				t.Fatalf("%s: heard %q, want %q", what, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: nothing heard within 5 s", what)
		}
	}
	// The LISTEN is in place once a change is heard: retry the first write
	// until one is.
	now := time.Now()
	c := storage.Client{ID: "c1", Name: "One", GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_basic",
		SecretHash: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: now, UpdatedAt: now}
	if err := writer.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		select {
		case id := <-heard:
			if id != "c1" {
				t.Fatalf("first change: heard %q", id)
			}
		case <-time.After(100 * time.Millisecond):
			if i == 50 {
				t.Fatal("no notification within 5 s of creating a client")
			}
			if err := writer.UpdateClient(ctx, "c1", func(c storage.Client) (storage.Client, error) { return c, nil }); err != nil {
				t.Fatal(err)
			}
			continue
		}
		break
	}
	for len(heard) > 0 { // updates made while waiting
		<-heard
	}

	if err := writer.UpdateClient(ctx, "c1", func(c storage.Client) (storage.Client, error) { c.Name = "Renamed"; return c, nil }); err != nil {
		t.Fatal(err)
	}
	expect("update", "c1")
	// Nothing is announced for a transaction that rolls back.
	_ = writer.InTx(ctx, func(ctx context.Context) error {
		if err := writer.DeleteClient(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		return context.Canceled
	})
	rawExec(t, dsn, `UPDATE clients SET name = 'by hand' WHERE id = 'c1'`)
	expect("plain SQL after a rolled-back delete", "c1")
	if err := writer.DeleteClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	expect("delete", "c1")

	// The listening backend dies: the watcher says "forget all", listens
	// again, and hears the next change.
	rawExec(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
	expect("after the connection was lost", "")
	c.ID = "c2"
	deadline := time.Now().Add(10 * time.Second)
	if err := writer.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case id := <-heard:
			if id == "c2" {
				return
			}
			t.Fatalf("after reconnect: heard %q, want c2", id)
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no notification after the reconnect")
			}
			if err := writer.UpdateClient(ctx, "c2", func(c storage.Client) (storage.Client, error) { return c, nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
}
