package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy Policy
		pw     string
		email  string
		want   string // "" accepts; else a piece of the message
	}{
		{Policy{}, "correct horse battery staple", "ada@example.com", ""},
		{Policy{}, "Tr0ub4dor&3 xylophone", "", ""},
		{Policy{}, "elevenchars", "", "at least 12"},
		{Policy{}, "éééééééééée", "", "at least 12"}, // 11 characters, 22 bytes
		{Policy{MinLength: 8}, "k9#vLq2m", "", ""},
		{Policy{MinLength: 16}, "fifteen chars..", "", "at least 16"},
		{Policy{}, strings.Repeat("x", 1025), "", "at most 1024"},
		{Policy{}, "\xff\xfe not text at all", "", "not text"},
		// The common list, ignoring case and spaces.
		{Policy{}, "QAZWSXEDCRFV", "", "most common"},
		{Policy{}, "leave me alone", "", "most common"},
		{Policy{}, "1q2w3e4r5t6y", "", "most common"},
		{Policy{}, "123QWEASDZXC", "", "most common"},
		{Policy{MinLength: 8}, "password1", "", "most common"},
		{Policy{MinLength: 8}, "Pass Word 1", "", "most common"},
		{Policy{}, "aaaaaaaaaaaaaaa", "", "repeated"},
		// The email address and its local part.
		{Policy{}, "ada.lovelace@example.com", "Ada.Lovelace@example.com", "email address"},
		{Policy{}, "AdaLovelace1815", "adalovelace1815@example.com", "email address"},
		{Policy{}, "ada-lovelace-1815", "ada.lovelace.1815@example.com", "email address"},
		{Policy{}, "adaexamplecom", "ada@example.com", "email address"},
	} {
		err := tc.policy.Check(tc.pw, tc.email)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%.24q) = %v, want accepted", tc.pw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid)):
			t.Errorf("Check(%.24q) = %v, want ErrInvalid saying %q", tc.pw, err, tc.want)
		}
	}
}

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	set := commonPasswords()
	if len(set) < 5000 {
		t.Fatalf("the embedded list has %d passwords, want several thousand", len(set))
	}
	for pw := range set {
		if len(pw) < MinPolicyLength || strings.ToLower(pw) != pw || strings.TrimSpace(pw) != pw {
			t.Fatalf("list entry %q: every entry is lowercase, trimmed and at least %d long", pw, MinPolicyLength)
		}
	}
}
