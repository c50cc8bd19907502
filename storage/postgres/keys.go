package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ostiary/ostiary/storage"
)

// keyJSON is how one signing key is kept inside the key_set document. The
// byte fields travel as base64; PrivateKey is ciphertext already.
type keyJSON struct {
	ID          string     `json:"id"`
	Algorithm   string     `json:"alg"`
	PublicJWK   []byte     `json:"public_jwk,omitempty"`
	PrivateKey  []byte     `json:"private_key,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	ActiveFrom  *time.Time `json:"active_from,omitempty"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	UnpublishAt *time.Time `json:"unpublish_at,omitempty"`
}

func jsonTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func fromJSONTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func encodeKeys(keys []storage.SigningKey) ([]byte, error) {
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyJSON{
			ID: k.ID, Algorithm: k.Algorithm, PublicJWK: k.PublicJWK, PrivateKey: k.PrivateKey,
			CreatedAt: jsonTime(k.CreatedAt), ActiveFrom: jsonTime(k.ActiveFrom),
			RetiredAt: jsonTime(k.RetiredAt), UnpublishAt: jsonTime(k.UnpublishAt),
		}
	}
	return json.Marshal(out)
}

func decodeKeys(b []byte) ([]storage.SigningKey, error) {
	var in []keyJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]storage.SigningKey, len(in))
	for i, k := range in {
		out[i] = storage.SigningKey{
			ID: k.ID, Algorithm: k.Algorithm, PublicJWK: nilIfEmpty(k.PublicJWK), PrivateKey: nilIfEmpty(k.PrivateKey),
			CreatedAt: fromJSONTime(k.CreatedAt), ActiveFrom: fromJSONTime(k.ActiveFrom),
			RetiredAt: fromJSONTime(k.RetiredAt), UnpublishAt: fromJSONTime(k.UnpublishAt),
		}
	}
	return out, nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// GetKeySet returns the current set; no keys at version 0 when none was ever
// stored.
func (s *Store) GetKeySet(ctx context.Context) (storage.KeySet, error) {
	var ks storage.KeySet
	var doc []byte
	err := s.q(ctx).QueryRow(ctx, `SELECT version, keys FROM key_set WHERE id = 1`).Scan(&ks.Version, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.KeySet{}, nil
	}
	if err != nil {
		return storage.KeySet{}, dbErr("postgres: get key set", err)
	}
	if ks.Keys, err = decodeKeys(doc); err != nil {
		return storage.KeySet{}, fmt.Errorf("postgres: get key set: decode: %w", err)
	}
	return ks, nil
}

// UpdateKeySet reads the set, applies fn and writes the result with a
// compare-and-swap on the version: if another replica wrote in between, the
// write matches no row and the call returns storage.ErrConflict. Nothing is
// locked while fn runs, so fn may take its time (generating a key) without
// holding up readers. Errors from fn come back unchanged.
func (s *Store) UpdateKeySet(ctx context.Context, fn func(storage.KeySet) (storage.KeySet, error)) error {
	old, err := s.GetKeySet(ctx)
	if err != nil {
		return err
	}
	ks, err := fn(old)
	if err != nil {
		return err
	}
	doc, err := encodeKeys(ks.Keys)
	if err != nil {
		return fmt.Errorf("postgres: update key set: encode: %w", err)
	}
	q := s.q(ctx)
	var tag pgconn.CommandTag
	if old.Version == 0 {
		// The first write creates the row; a concurrent first write makes
		// this one insert nothing.
		tag, err = q.Exec(ctx, `INSERT INTO key_set (id, version, keys) VALUES (1, 1, $1) ON CONFLICT DO NOTHING`, doc)
	} else {
		tag, err = q.Exec(ctx, `UPDATE key_set SET version = version + 1, keys = $2 WHERE id = 1 AND version = $1`,
			old.Version, doc)
	}
	if err != nil {
		return dbErr("postgres: update key set", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: update key set: version %d was replaced meanwhile: %w", old.Version, storage.ErrConflict)
	}
	return nil
}
