package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const keyCols = `id, algorithm, public_jwk, private_key, created_at, active_from, retired_at, unpublish_at`

func scanKey(r rowScanner) (storage.SigningKey, error) {
	var k storage.SigningKey
	err := r.Scan(&k.ID, &k.Algorithm, blobCol{&k.PublicJWK}, blobCol{&k.PrivateKey},
		timeCol{&k.CreatedAt}, timeCol{&k.ActiveFrom}, timeCol{&k.RetiredAt}, timeCol{&k.UnpublishAt})
	return k, err
}

// read runs fn in ctx's transaction or, without one, in a read-only
// transaction so that several queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.tx(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // deferred BEGIN: no write lock
	if err != nil {
		return wrapDB(err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(context.WithValue(ctx, txKey{s}, tx))
}

// GetKeySet returns the current set; no keys at version 0 when none was
// ever stored.
func (s *Store) GetKeySet(ctx context.Context) (storage.KeySet, error) {
	var ks storage.KeySet
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		ks, err = s.keySet(ctx)
		return err
	})
	if err != nil {
		return storage.KeySet{}, fmt.Errorf("sqlite: get key set: %w", err)
	}
	return ks, nil
}

func (s *Store) keySet(ctx context.Context) (storage.KeySet, error) {
	var ks storage.KeySet
	err := s.q(ctx).QueryRowContext(ctx, `SELECT version FROM key_set WHERE id = 1`).Scan(&ks.Version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ks, wrapDB(err)
	}
	ks.Keys, err = queryList(ctx, s, scanKey, `SELECT `+keyCols+` FROM signing_keys ORDER BY position`)
	return ks, err
}

// UpdateKeySet reads the set, applies fn and writes the result with a
// compare-and-swap on the version, all in one transaction. A lost race is
// storage.ErrConflict; errors from fn are returned unchanged.
func (s *Store) UpdateKeySet(ctx context.Context, fn func(storage.KeySet) (storage.KeySet, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.keySet(ctx)
		if err != nil {
			return fmt.Errorf("sqlite: update key set: %w", err)
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		// BEGIN IMMEDIATE already excludes other writers; the version check
		// keeps the swap honest should that ever change.
		var n int64
		if old.Version == 0 {
			n, err = s.exec(ctx, `INSERT INTO key_set (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING`)
		} else {
			n, err = s.exec(ctx, `UPDATE key_set SET version = version + 1 WHERE id = 1 AND version = ?`, old.Version)
		}
		if err != nil {
			return fmt.Errorf("sqlite: update key set: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite: update key set from version %d: %w", old.Version, storage.ErrConflict)
		}
		if _, err := s.exec(ctx, `DELETE FROM signing_keys`); err != nil {
			return fmt.Errorf("sqlite: update key set: %w", err)
		}
		for i, k := range next.Keys {
			_, err := s.exec(ctx, `INSERT INTO signing_keys (position, `+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				i, k.ID, k.Algorithm, blob(k.PublicJWK), blob(k.PrivateKey),
				ts(k.CreatedAt), ts(k.ActiveFrom), ts(k.RetiredAt), ts(k.UnpublishAt))
			if err != nil {
				return fmt.Errorf("sqlite: update key set: key %q: %w", k.ID, err)
			}
		}
		return nil
	})
}
