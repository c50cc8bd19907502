package password

import (
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	argon, err := Hash("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, good := range []string{argon, string(bc), "$2b$" + string(bc[4:]), "$2y$" + string(bc[4:])} {
		if err := Check(good); err != nil {
			t.Errorf("Check(%.12s…) = %v, want nil", good, err)
		}
	}
	for _, c := range []struct {
		hash string
		want error
	}{
		{"$2b$10$short", ErrMalformed},
		{"$2b$99$" + string(bc[7:]), ErrMalformed},
		{"$argon2id$v=19$m=x", ErrMalformed},
		{"5f4dcc3b5aa765d61d8327deb882cf99", ErrUnknownFormat},
		{"$pbkdf2-sha256$29000$abc$def", ErrUnknownFormat},
	} {
		if err := Check(c.hash); !errors.Is(err, c.want) {
			t.Errorf("Check(%q) = %v, want %v", c.hash, err, c.want)
		}
	}
}
