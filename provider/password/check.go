package password

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Check reports whether encoded is a hash Verify can use, without the cost
// of hashing anything: imports check thousands of hashes.
func Check(encoded string) error {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		_, err := parseArgon2id(encoded)
		return err
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		if len(encoded) != 60 {
			return fmt.Errorf("%w: bcrypt: a bcrypt hash has 60 characters, not %d", ErrMalformed, len(encoded))
		}
		if _, err := bcrypt.Cost([]byte(encoded)); err != nil {
			return fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
		return nil
	default:
		return ErrUnknownFormat
	}
}
