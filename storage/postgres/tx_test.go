package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ostiary/ostiary/storage"
)

// TestInTxRetriesSerializationFailures: fn reporting 40001 or 40P01 runs
// again; one that keeps failing ends in ErrConflict.
func TestInTxRetriesSerializationFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	for _, code := range []string{"40001", "40P01"} {
		var calls int
		err := s.InTx(ctx, func(ctx context.Context) error {
			calls++
			if calls < 3 {
				return &pgconn.PgError{Code: code, Message: "injected"}
			}
			return s.CreateOrg(ctx, storage.Organization{ID: "o-" + code, Name: code})
		})
		if err != nil || calls != 3 {
			t.Errorf("InTx with two injected %s failures = %v after %d calls; want success on call 3", code, err, calls)
		}
		if _, err := s.GetOrg(ctx, "o-"+code); err != nil {
			t.Errorf("org from the successful retry: %v", err)
		}
	}

	var calls int
	err := s.InTx(ctx, func(ctx context.Context) error {
		calls++
		if err := s.CreateOrg(ctx, storage.Organization{ID: "never", Name: "never"}); err != nil {
			return err
		}
		return &pgconn.PgError{Code: "40001", Message: "injected"}
	})
	if !errors.Is(err, storage.ErrConflict) {
		t.Errorf("InTx failing every time = %v, want ErrConflict", err)
	}
	if calls < 2 {
		t.Errorf("InTx ran fn %d times, want retries", calls)
	}
	if _, err := s.GetOrg(ctx, "never"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("org from attempts that all failed: %v, want ErrNotFound", err)
	}

	// Other errors are not retried.
	calls = 0
	boom := errors.New("boom")
	err = s.InTx(ctx, func(ctx context.Context) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("InTx(boom) = %v after %d calls, want boom after 1", err, calls)
	}
}

// TestInTxPreventsWriteSkew: two admins each remove a different owner of an
// organization after checking that another owner remains. Both read before
// either writes; under SERIALIZABLE one of them is retried, sees the other's
// removal, and stops, so one owner is left. At READ COMMITTED both would
// succeed and leave none.
func TestInTxPreventsWriteSkew(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	if err := s.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, storage.User{ID: u, Email: u + "@example.com"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: u, Role: "owner"}); err != nil {
			t.Fatal(err)
		}
	}
	errLastOwner := errors.New("last owner")
	var bothRead sync.WaitGroup
	bothRead.Add(2)
	var attempts atomic.Int32
	removeOwner := func(user string) error {
		first := true
		return s.InTx(ctx, func(ctx context.Context) error {
			attempts.Add(1)
			members, err := s.ListMembersByOrg(ctx, "o1")
			if err != nil {
				return err
			}
			if first {
				first = false
				bothRead.Done()
				bothRead.Wait()
			}
			if len(members) < 2 {
				return errLastOwner
			}
			return s.DeleteMembership(ctx, "o1", user)
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, u := range []string{"alice", "bob"} {
		wg.Go(func() { errs[i] = removeOwner(u) })
	}
	wg.Wait()

	members, err := s.ListMembersByOrg(ctx, "o1")
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 {
		t.Errorf("owners left = %d, want 1 (errors: %v)", len(members), errs)
	}
	var won, refused int
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, errLastOwner):
			refused++
		default:
			t.Errorf("removeOwner: %v", err)
		}
	}
	if won != 1 || refused != 1 {
		t.Errorf("won %d, refused %d; want 1 and 1", won, refused)
	}
	if attempts.Load() < 3 {
		t.Errorf("fn ran %d times; the loser should have been retried", attempts.Load())
	}
}

// TestDeadlockIsConflict: two BeginTX transactions that lock two rows in
// opposite orders deadlock; PostgreSQL aborts one (40P01), which the store
// reports as ErrConflict, and the other commits.
func TestDeadlockIsConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	for _, o := range []string{"a", "b"} {
		if err := s.CreateOrg(ctx, storage.Organization{ID: o, Name: o}); err != nil {
			t.Fatal(err)
		}
	}
	rename := func(tx context.Context, id, name string) error {
		return s.UpdateOrg(tx, id, func(o storage.Organization) (storage.Organization, error) {
			o.Name = name
			return o, nil
		})
	}
	var firstLocked sync.WaitGroup
	firstLocked.Add(2)
	run := func(first, second string) error {
		tx, err := s.BeginTX(ctx)
		if err != nil {
			firstLocked.Done()
			return err
		}
		defer s.Rollback(tx)
		err = rename(tx, first, first+"1")
		firstLocked.Done()
		if err != nil {
			return err
		}
		firstLocked.Wait()
		if err := rename(tx, second, second+"2"); err != nil {
			return err
		}
		return s.Commit(tx)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = run("a", "b") })
	wg.Go(func() { errs[1] = run("b", "a") })
	wg.Wait()
	var ok, conflict int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrConflict):
			conflict++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("committed %d, conflicted %d; want 1 and 1 (errors: %v)", ok, conflict, errs)
	}
}

// TestTxContextsAreStoreBound: a context carrying one Store's transaction
// means nothing to another Store.
func TestTxContextsAreStoreBound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := newStore(t), newStore(t)
	tx, err := a.BeginTX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Rollback(tx)
	// b ignores a's transaction: its write is visible at once, and b
	// cannot commit a's work.
	if err := b.CreateOrg(tx, storage.Organization{ID: "o1", Name: "One"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetOrg(ctx, "o1"); err != nil {
		t.Errorf("write through another store's tx context: %v", err)
	}
	if err := b.Commit(tx); err == nil {
		t.Error("Commit on a store that did not begin the transaction succeeded")
	}
}
