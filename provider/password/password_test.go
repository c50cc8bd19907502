package password

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q lacks the PHC prefix with the current parameters", h)
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	ok, rehash, err := Verify(h, "correct horse")
	if !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, rehash, err = Verify(h, "correct horsf")
	if ok || rehash || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
}

// Hashes made by the reference implementation (phc-winner-argon2's CLI,
// `argon2 SALT -id -t T -k M -p P -l 32 -e`), so our encoding and parameters
// interoperate with other tools.
func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		encoded, pw string
		rehash      bool
	}{
		{"$argon2id$v=19$m=19456,t=2,p=1$YzI5dFpYTmhiSFJ6YjIxbGMyRnNkQQ$d0N5RAWKxU0D4c29TfG8VR17O8yTj9v9DRaLHq08YbM", "correct horse battery staple", false},
		// m=4096,t=1 is weaker than today's parameters: it must ask for a rehash.
		{"$argon2id$v=19$m=4096,t=1,p=2$c29tZXNhbHQxMjM$9IHkHHyNiqdyLvIZS3aFJIzfd5jUIj8hPhqgaL1UXy8", "password", true},
	} {
		ok, rehash, err := Verify(tc.encoded, tc.pw)
		if !ok || rehash != tc.rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want true, %v, nil", tc.encoded, ok, rehash, err, tc.rehash)
		}
		if ok, _, _ := Verify(tc.encoded, tc.pw+"x"); ok {
			t.Errorf("Verify(%q) accepted a wrong password", tc.encoded)
		}
	}
}

// Known-answer hash from x/crypto/bcrypt's tests ("allmine", cost 10). The
// $2b$ and $2y$ spellings of the same hash come from other implementations.
func TestVerifyBcryptImport(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		h := prefix + "10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"
		ok, rehash, err := Verify(h, "allmine")
		if !ok || !rehash || err != nil {
			t.Errorf("Verify(%s) = %v, %v, %v; want true, true, nil", prefix, ok, rehash, err)
		}
		ok, rehash, err = Verify(h, "allminf")
		if ok || rehash || err != nil {
			t.Errorf("Verify(%s, wrong) = %v, %v, %v; want false, false, nil", prefix, ok, rehash, err)
		}
	}
	if _, _, err := Verify("$2a$10$short", "x"); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated bcrypt: err = %v, want ErrMalformed", err)
	}
}

func TestVerifyRejectsBadHashes(t *testing.T) {
	t.Parallel()
	good := "$argon2id$v=19$m=4096,t=1,p=2$c29tZXNhbHQxMjM$9IHkHHyNiqdyLvIZS3aFJIzfd5jUIj8hPhqgaL1UXy8"
	for _, tc := range []struct {
		name, encoded string
		want          error
	}{
		{"empty", "", ErrUnknownFormat},
		{"plain text", "hunter2", ErrUnknownFormat},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), ErrUnknownFormat},
		{"missing field", "$argon2id$v=19$m=4096,t=1,p=2$c29tZXNhbHQxMjM", ErrMalformed},
		{"old version", strings.Replace(good, "v=19", "v=16", 1), ErrMalformed},
		{"junk version", strings.Replace(good, "v=19", "v=19x", 1), ErrMalformed},
		{"param order", strings.Replace(good, "m=4096,t=1,p=2", "t=1,m=4096,p=2", 1), ErrMalformed},
		{"trailing param", strings.Replace(good, "p=2", "p=2,k=1", 1), ErrMalformed},
		{"huge memory", strings.Replace(good, "m=4096", "m=4194304", 1), ErrMalformed},
		{"zero time", strings.Replace(good, "t=1", "t=0", 1), ErrMalformed},
		{"zero threads", strings.Replace(good, "p=2", "p=0", 1), ErrMalformed},
		{"threads overflow", strings.Replace(good, "p=2", "p=256", 1), ErrMalformed},
		{"bad salt", strings.Replace(good, "c29tZXNhbHQxMjM", "!!!", 1), ErrMalformed},
		{"short hash", strings.Replace(good, "9IHkHHyNiqdyLvIZS3aFJIzfd5jUIj8hPhqgaL1UXy8", "AAAA", 1), ErrMalformed},
	} {
		ok, rehash, err := Verify(tc.encoded, "password")
		if ok || rehash || !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, %v, %v; want false, false, %v", tc.name, ok, rehash, err, tc.want)
		}
	}
}

// VerifyDummy must cost about what a real Verify costs, or the response time
// tells an attacker which accounts exist. The two are measured interleaved
// and the best of several runs compared, so load from other test packages
// on the same cores falls on both alike. The lower bound is what matters: a
// dummy that skips the hash answers in microseconds, a thousand times under
// it, so a quarter leaves room for a loaded machine without letting one by.
func TestVerifyDummyTiming(t *testing.T) {
	h, err := Hash("secret")
	if err != nil {
		t.Fatal(err)
	}
	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	real, dummy := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range 7 {
		real = min(real, timed(func() { _, _, _ = Verify(h, "wrong") }))
		dummy = min(dummy, timed(func() { VerifyDummy("wrong") }))
	}
	if ratio := float64(dummy) / float64(real); ratio < 0.25 || ratio > 4 {
		t.Errorf("VerifyDummy took %v, Verify %v (ratio %.2f); want between 0.25x and 4x", dummy, real, ratio)
	}
}
