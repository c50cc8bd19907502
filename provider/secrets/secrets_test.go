package secrets

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestDeriveOrderAndSeparation(t *testing.T) {
	t.Parallel()
	system := [][]byte{secret(1), secret(2)}
	a := Derive(system, PurposeCookieAuth, 32)
	if len(a) != 2 || len(a[0]) != 32 || len(a[1]) != 32 {
		t.Fatalf("Derive shape = %d keys, want 2 of 32 bytes", len(a))
	}
	// Current secret first: deriving from the first secret alone gives a[0].
	if only := Derive(system[:1], PurposeCookieAuth, 32); !bytes.Equal(only[0], a[0]) {
		t.Error("first derived key is not the current secret's")
	}
	if bytes.Equal(a[0], a[1]) {
		t.Error("two secrets derived the same key")
	}
	// Deterministic: replicas sharing the secret derive the same keys.
	if again := Derive(system, PurposeCookieAuth, 32); !bytes.Equal(again[1], a[1]) {
		t.Error("Derive is not deterministic")
	}
	// Distinct purposes never share a key.
	seen := map[string]string{}
	for _, p := range []string{PurposeCookieAuth, PurposeCookieEncrypt, PurposeTokenHMAC, PurposeKeyEncryption, PurposeCSRF} {
		k := string(Derive(system, p, 32)[0])
		if other, ok := seen[k]; ok {
			t.Errorf("purposes %q and %q derived the same key", p, other)
		}
		seen[k] = p
	}
	if got := Derive(nil, PurposeCSRF, 32); got != nil {
		t.Errorf("Derive(nil) = %v, want nil", got)
	}
}

// RFC 5869 Appendix A.3 (empty salt and info, as Derive passes no salt):
// Derive is plain HKDF-SHA256, so another implementation can reproduce it.
func TestDeriveRFC5869Vector(t *testing.T) {
	t.Parallel()
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	want := "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
	got := Derive([][]byte{ikm}, "", 42)[0]
	if hex.EncodeToString(got) != want {
		t.Errorf("HKDF output = %x, want %s", got, want)
	}
}

func TestDeriveBadSizePanics(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, -1, 255*32 + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Derive(size=%d) did not panic", size)
				}
			}()
			Derive([][]byte{secret(1)}, PurposeCSRF, size)
		}()
	}
}

func newSealer(t *testing.T, system ...[]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(Derive(system, PurposeKeyEncryption, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSealer(t, secret(1))
	pt := []byte("a PKCS#8 private key")
	ct, err := s.Seal(pt, []byte("kid1"))
	if err != nil {
		t.Fatal(err)
	}
	if ct[0] != sealVersion || len(ct) != 1+nonceSize+len(pt)+tagSize {
		t.Errorf("sealed layout: version %d, length %d", ct[0], len(ct))
	}
	if bytes.Contains(ct, pt) {
		t.Error("ciphertext contains the plaintext")
	}
	got, err := s.Open(ct, []byte("kid1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pt) {
		t.Errorf("Open = %q, want %q", got, pt)
	}
	// Fresh nonce each time: sealing the same value twice differs.
	ct2, _ := s.Seal(pt, []byte("kid1"))
	if bytes.Equal(ct[1:1+nonceSize], ct2[1:1+nonceSize]) {
		t.Error("two seals reused a nonce")
	}
}

func TestOpenTampered(t *testing.T) {
	t.Parallel()
	s := newSealer(t, secret(1))
	ct, err := s.Seal([]byte("secret"), []byte("kid1"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := s.Open(bad, []byte("kid1")); !errors.Is(err, ErrOpen) {
			t.Errorf("flipping byte %d: Open error = %v, want ErrOpen", i, err)
		}
	}
	for _, short := range [][]byte{nil, ct[:1], ct[:len(ct)-1]} {
		if _, err := s.Open(short, []byte("kid1")); !errors.Is(err, ErrOpen) {
			t.Errorf("truncated to %d bytes: Open error = %v, want ErrOpen", len(short), err)
		}
	}
}

func TestOpenWrongAdditionalData(t *testing.T) {
	t.Parallel()
	s := newSealer(t, secret(1))
	ct, err := s.Seal([]byte("secret"), []byte("kid1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range [][]byte{[]byte("kid2"), nil, []byte("kid1 ")} {
		if _, err := s.Open(ct, ad); !errors.Is(err, ErrOpen) {
			t.Errorf("Open with AD %q: error = %v, want ErrOpen", ad, err)
		}
	}
}

func TestSealerRotation(t *testing.T) {
	t.Parallel()
	old := newSealer(t, secret(1))
	ct, err := old.Seal([]byte("sealed under the old secret"), []byte("kid"))
	if err != nil {
		t.Fatal(err)
	}
	// The operator puts a new secret first and keeps the old one second.
	rotated := newSealer(t, secret(2), secret(1))
	if got, err := rotated.Open(ct, []byte("kid")); err != nil || string(got) != "sealed under the old secret" {
		t.Fatalf("rotated Open = %q, %v", got, err)
	}
	// New data is sealed with the new secret: the old sealer cannot open it.
	ct2, err := rotated.Seal([]byte("new"), []byte("kid"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Open(ct2, []byte("kid")); !errors.Is(err, ErrOpen) {
		t.Errorf("old sealer opened data sealed with the new secret: %v", err)
	}
	// Once the old secret is dropped, old data no longer opens.
	dropped := newSealer(t, secret(2))
	if _, err := dropped.Open(ct, []byte("kid")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open after dropping the old secret: %v, want ErrOpen", err)
	}
}

func TestNewSealerRejectsBadKeys(t *testing.T) {
	t.Parallel()
	if _, err := NewSealer(nil); err == nil {
		t.Error("NewSealer(nil) succeeded")
	}
	if _, err := NewSealer([][]byte{secret(1), make([]byte, 16)}); err == nil {
		t.Error("NewSealer accepted a 16-byte key")
	}
}
