// Package pgtest gives tests a real PostgreSQL: DSN returns the address of a
// fresh, empty database that is dropped when the test ends.
//
// The server is the one named by $OSTIARY_TEST_POSTGRES (a postgres:// URL of
// a role allowed to create databases) or, when that is unset, a throwaway
// cluster the package starts on first use from the PostgreSQL binaries it
// finds (/usr/lib/postgresql/*/bin, newest first, then PATH). A package whose
// tests use DSN should run them through Main, which stops that cluster and
// removes its files when the tests are done:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// When no PostgreSQL can be had, DSN skips the test with a loud message, or
// fails it when $CI is "true", so a CI run never passes without the tests.
// Under go test -short (make test-short) DSN skips the test without looking
// for a server: the short tier runs on SQLite alone.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvServer names the environment variable holding the server to use.
const EnvServer = "OSTIARY_TEST_POSTGRES"

// The server is shared by every test of one test binary: starting a cluster
// takes seconds, a database milliseconds. This is the package's only state,
// and Main ends it.
var (
	once   sync.Once
	shared *server
	setup  error
	// unavailable marks a setup error that means "no PostgreSQL here"
	// rather than "PostgreSQL is broken".
	unavailable bool
)

// Main runs the package's tests and then stops the cluster DSN may have
// started. Use it as the body of TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the test cluster: %v\n", err)
		}
	}
	os.Exit(code)
}

// DSN creates an empty database with a random name and returns a postgres://
// URL for it. The database is dropped, with any connections left open to it,
// in tb.Cleanup. Under -short it skips the test.
func DSN(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("PostgreSQL tests skipped under -short")
	}
	once.Do(func() { shared, unavailable, setup = connect() })
	if setup != nil {
		if unavailable && os.Getenv("CI") != "true" {
			tb.Skipf("\n\n*** PostgreSQL tests SKIPPED: no %s and no initdb found (%v) ***\n"+
				"*** Install PostgreSQL or set %s=postgres://user:pass@host:5432/postgres ***\n\n",
				EnvServer, setup, EnvServer)
		}
		tb.Fatalf("pgtest: no PostgreSQL for the tests: %v", setup)
	}

	name, err := randomName()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := shared.exec(ctx, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := shared.drop(ctx, name); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u := *shared.admin
	u.Path = "/" + name
	return u.String()
}

// connect finds or starts the server.
func connect() (*server, bool, error) {
	if raw := os.Getenv(EnvServer); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			// Not quoting raw: it may hold a password.
			return nil, false, fmt.Errorf("%s must be a postgres:// URL", EnvServer)
		}
		s := &server{admin: u}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.exec(ctx, `SELECT 1`); err != nil {
			return nil, false, fmt.Errorf("%s: %w", EnvServer, err)
		}
		return s, false, nil
	}
	return startCluster()
}

func randomName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "ostiary_test_" + hex.EncodeToString(b[:]), nil
}

// server is a PostgreSQL server tests may create databases on.
type server struct {
	// admin is a URL for the server's maintenance database.
	admin *url.URL
	// cluster is set when this package started the server.
	cluster *cluster
}

// exec runs one statement on the maintenance database.
func (s *server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.admin.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// drop removes a test database even if a test left connections to it open.
func (s *server) drop(ctx context.Context, name string) error {
	err := s.exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	if err == nil || !strings.Contains(err.Error(), "syntax error") {
		return err
	}
	// Before PostgreSQL 13 there is no FORCE: end the sessions first.
	if err := s.exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '`+name+`'`); err != nil {
		return err
	}
	return s.exec(ctx, `DROP DATABASE IF EXISTS `+name)
}

func (s *server) stop() error {
	if s.cluster == nil {
		return nil
	}
	return s.cluster.stop()
}
