package accounts

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Bounds of a configurable minimum length: NIST SP 800-63B §5.1.1.2 asks
// for at least 8; more than 64 would refuse passphrases users can type.
const (
	MinPolicyLength    = 8
	MaxPolicyLength    = 64
	maxPasswordBytes   = 1024
	minLocalPartLength = 3
)

// commonPasswordsFile is the embedded list of leaked, frequently chosen
// passwords; see its header for the source.
//
//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the list as a set, built on first use and never
// changed after.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 8000)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
})

// Policy is the password rules, the one place every path that sets a
// password (registration, reset, change, the CLI) asks. The zero value is
// the default policy.
type Policy struct {
	// MinLength in characters; 0 means MinPasswordLength.
	MinLength int
}

// Length is the effective minimum length.
func (p Policy) Length() int {
	if p.MinLength <= 0 {
		return MinPasswordLength
	}
	return p.MinLength
}

// Check applies the rules to pw for the account with address email (may be
// empty): long enough (in characters), at most 1024 bytes, not one of the
// common passwords in the embedded list (ignoring case and spaces), not one
// character repeated, and not the email address or its local part.
func (p Policy) Check(pw, email string) error {
	if !utf8.ValidString(pw) {
		return ErrInvalid.New("The password contains bytes that are not text.")
	}
	if n := utf8.RuneCountInString(pw); n < p.Length() {
		return ErrInvalid.Newf("Choose a password of at least %d characters.", p.Length())
	}
	if len(pw) > maxPasswordBytes {
		return ErrInvalid.Newf("Choose a password of at most %d bytes.", maxPasswordBytes)
	}
	folded := strings.ToLower(strings.TrimSpace(pw))
	if _, ok := commonPasswords()[folded]; ok {
		return ErrInvalid.New("This password is one of the most common ones and easy to guess. Choose another.")
	}
	if _, ok := commonPasswords()[strings.Join(strings.Fields(folded), "")]; ok {
		return ErrInvalid.New("This password is one of the most common ones and easy to guess. Choose another.")
	}
	if repeated(folded) {
		return ErrInvalid.New("A password of one repeated character is easy to guess. Choose another.")
	}
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		local, _, _ := strings.Cut(email, "@")
		bare := lettersAndDigits(folded)
		if folded == email || bare == lettersAndDigits(email) ||
			(len(local) >= minLocalPartLength && (folded == local || bare == lettersAndDigits(local))) {
			return ErrInvalid.New("The password must not be your email address or its name part.")
		}
	}
	return nil
}

// CheckPassword applies the default policy.
func CheckPassword(pw, email string) error { return Policy{}.Check(pw, email) }

func repeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

func lettersAndDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
