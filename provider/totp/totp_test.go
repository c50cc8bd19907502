package totp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B: ASCII "12345678901234567890".
var rfcSecret = []byte("12345678901234567890")

// TestRFC6238Vectors checks the SHA-1 rows of RFC 6238 Appendix B, which are
// 8-digit codes; the 6-digit code is the same value's low six digits.
func TestRFC6238Vectors(t *testing.T) {
	t.Parallel()
	vectors := []struct {
		unix int64
		step int64
		code string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, v := range vectors {
		at := time.Unix(v.unix, 0)
		if got := Step(at); got != v.step {
			t.Errorf("Step(%d) = %#x, want %#x", v.unix, got, v.step)
		}
		if got := hotp(rfcSecret, uint64(v.step), 8); got != v.code {
			t.Errorf("8-digit code at %d = %s, want %s", v.unix, got, v.code)
		}
		if got, want := Code(rfcSecret, v.step), v.code[2:]; got != want {
			t.Errorf("Code at %d = %s, want %s", v.unix, got, want)
		}
		if step, ok := Match(rfcSecret, v.code[2:], at); !ok || step != v.step {
			t.Errorf("Match(RFC code at %d) = %d, %v; want %d, true", v.unix, step, ok, v.step)
		}
	}
}

// TestRFC4226Vectors: HOTP Appendix D, the counter-based core TOTP builds on.
func TestRFC4226Vectors(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(rfcSecret, uint64(i), 6); got != w {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, w)
		}
	}
}

func TestMatchSkew(t *testing.T) {
	t.Parallel()
	now := time.Unix(1234567890, 0)
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		step, ok := Match(rfcSecret, Code(rfcSecret, cur+d), now)
		if !ok || step != cur+d {
			t.Errorf("code of step %+d: Match = %d, %v; want %d, true", d, step, ok, cur+d)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		if _, ok := Match(rfcSecret, Code(rfcSecret, cur+d), now); ok {
			t.Errorf("code of step %+d accepted; only ±%d steps may be", d, Skew)
		}
	}
	if _, ok := Match(rfcSecret, Code([]byte("another secret here!"), cur), now); ok {
		t.Error("code of another secret accepted")
	}
}

func TestMatchInput(t *testing.T) {
	t.Parallel()
	now := time.Unix(1234567890, 0)
	c := Code(rfcSecret, Step(now))
	if _, ok := Match(rfcSecret, c[:3]+" "+c[3:], now); !ok {
		t.Error("a code typed with a space was refused")
	}
	if _, ok := Match(rfcSecret, c[:3]+"-"+c[3:], now); !ok {
		t.Error("a code typed with a dash was refused")
	}
	for _, bad := range []string{"", c[:5], c + "0", "abcdef", "0" + c} {
		if _, ok := Match(rfcSecret, bad, now); ok {
			t.Errorf("Match(%q) accepted", bad)
		}
	}
}

func TestNewSecretAndURI(t *testing.T) {
	t.Parallel()
	s, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{0xAB}, 64)))
	if err != nil || len(s) != SecretSize {
		t.Fatalf("NewSecret = %x, %v", s, err)
	}
	if _, err := NewSecret(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("NewSecret from a short reader succeeded")
	}
	u := URI("Ostiary Test", "ada@example.com", rfcSecret)
	for _, want := range []string{"otpauth://totp/Ostiary%20Test:ada@example.com?", "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"issuer=Ostiary+Test", "digits=6", "period=30", "algorithm=SHA1"} {
		if !strings.Contains(u, want) {
			t.Errorf("URI %q lacks %q", u, want)
		}
	}
}
