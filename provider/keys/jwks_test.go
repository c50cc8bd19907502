package keys_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ostiary/ostiary/storage"
)

var update = flag.Bool("update", false, "update golden files instead of checking against them")

// fixtureKey returns a stored key record built from a PEM file in testdata,
// so the JWKS golden file does not change from run to run.
func fixtureKey(t *testing.T, file, kid string, activeFrom time.Time) storage.SigningKey {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv := parsed.(*rsa.PrivateKey)
	sealed, err := testSealer(t, 1).Seal(block.Bytes, []byte(kid))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return storage.SigningKey{ID: kid, Algorithm: "RS256", PublicJWK: pub, PrivateKey: sealed, CreatedAt: activeFrom, ActiveFrom: activeFrom}
}

// TestJWKSGolden pins the wire shape of the key set (RFC 7517 §5, §4): one
// public RSA JWK per published key, newest first, with kid, use and alg, and
// no private members.
func TestJWKSGolden(t *testing.T) {
	t.Parallel()
	c := newClock()
	t0 := c.Now().Add(-time.Hour)
	current := fixtureKey(t, "testkey1.pem", "current", t0)
	next := fixtureKey(t, "testkey2.pem", "next", c.Now().Add(testPrePublish))
	current.RetiredAt, current.UnpublishAt = next.ActiveFrom, next.ActiveFrom.Add(testRetention)
	store := &memStore{set: storage.KeySet{Version: 7, Keys: []storage.SigningKey{current, next}}}
	m := newManager(t, store, c)

	body, etag, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n")
	buf.WriteString("ETag: " + etag + "\n")
	path := filepath.Join("testdata", "jwks.golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("JWKS differs from %s (run with -update if intended)\ngot:\n%s", path, buf.Bytes())
	}
}
