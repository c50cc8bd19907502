package accounts

import (
	"errors"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	got, err := NormalizeEmail("  Ada@Example.COM ")
	if err != nil || got != "ada@example.com" {
		t.Fatalf("NormalizeEmail = %q, %v", got, err)
	}
	for _, bad := range []string{"", "ada", "Ada <ada@example.com>", "a@b@c", "ada@example.com, bob@example.com"} {
		if _, err := NormalizeEmail(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeEmail(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	if err := CheckPassword("correct horse battery staple", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pw, email string }{
		{"short", ""},
		{"elevenchars", ""},
		{"longemail@example.com", "longemail@example.com"},
		{string(make([]byte, 1025)), ""},
	} {
		if err := CheckPassword(tc.pw, tc.email); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckPassword(%.20q) = %v, want ErrInvalid", tc.pw, err)
		}
	}
}
