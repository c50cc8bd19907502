package keys_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage/postgres"
	"github.com/ostiary/ostiary/storage/postgres/pgtest"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Replicas on one real database, all past the interval at once: exactly
// one new key (SQLite and PostgreSQL).
func TestRotateIfDueRaceOnRealStores(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T) keys.KeyStore{
		"sqlite": func(t *testing.T) keys.KeyStore {
			return sqlitetest.Open(t)
		},
		"postgres": func(t *testing.T) keys.KeyStore {
			s, err := postgres.Open(t.Context(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if _, err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store, c := open[name](t), newClock()
			const replicas = 4
			ms := make([]*keys.Manager, replicas)
			for i := range ms {
				ms[i] = &keys.Manager{Store: store, Sealer: testSealer(t, 1), Bits: keys.DefaultBits, JWKSMaxAge: testPrePublish, PrePublish: testPrePublish,
					Retention: testRetention, RefreshInterval: testRefresh, Now: c.Now}
			}
			if err := ms[0].Ensure(ctx); err != nil {
				t.Fatal(err)
			}
			c.Advance(testInterval)
			var wg sync.WaitGroup
			var mu sync.Mutex
			rotations := 0
			start := make(chan struct{})
			for _, m := range ms {
				wg.Go(func() {
					<-start
					_, rotated, err := m.RotateIfDue(ctx, testInterval)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					if rotated {
						rotations++
					}
				})
			}
			close(start)
			wg.Wait()
			set, err := store.GetKeySet(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Keys) != 2 || rotations != 1 {
				t.Errorf("%d replicas racing: %d keys, %d reported rotations; want 2 keys, 1 rotation", replicas, len(set.Keys), rotations)
			}
			// The key set still reads as one signer, then the new one.
			c.Advance(testPrePublish + time.Second)
			kid, _, err := ms[1].Signing(ctx)
			if err != nil || kid != newest(set).ID {
				t.Errorf("after pre-publication replica signs with %s (%v), want the new key", kid, err)
			}
		})
	}
}
