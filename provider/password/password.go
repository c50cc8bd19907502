package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Current parameters: OWASP's argon2id recommendation (19 MiB, two passes, one
// lane). Raising them makes every older hash report needsRehash.
const (
	Memory  uint32 = 19456 // KiB
	Time    uint32 = 2
	Threads uint8  = 1
	KeyLen  uint32 = 32
	SaltLen        = 16
)

// Limits on parameters read from a stored hash, so a corrupt or hostile row
// cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemory = 1 << 20 // 1 GiB in KiB
	maxTime   = 64
	minSalt   = 8
	minKey    = 16
	maxKey    = 128
)

// ErrUnknownFormat: the stored hash is neither argon2id nor bcrypt.
var ErrUnknownFormat = errors.New("password: unknown hash format")

// ErrMalformed: the stored hash looks like argon2id or bcrypt but cannot be parsed.
var ErrMalformed = errors.New("password: malformed hash")

var b64 = base64.RawStdEncoding

// Hash returns pw hashed with argon2id and a fresh random salt, as a PHC string.
func Hash(pw string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, Time, Memory, Threads, KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Memory, Time, Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the stored hash, comparing in constant
// time. needsRehash is true when pw matched a hash that should be replaced by
// Hash(pw): a bcrypt hash, or argon2id with weaker parameters than the current
// ones. A mismatch is ok=false with a nil error; err is set only for a hash
// that cannot be used at all.
func Verify(encoded, pw string) (ok, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, err := parseArgon2id(encoded)
		if err != nil {
			return false, false, err
		}
		got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
		if subtle.ConstantTimeCompare(got, p.key) != 1 {
			return false, false, nil
		}
		weaker := p.memory < Memory || p.time < Time || uint32(len(p.key)) < KeyLen || len(p.salt) < SaltLen
		return true, weaker, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		// x/crypto/bcrypt reads the minor version letter but the algorithm is
		// the same for a, b and y (the letters mark fixes in other
		// implementations), so all three verify alike.
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
		switch {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
	default:
		return false, false, ErrUnknownFormat
	}
}

// dummySalt is fixed: VerifyDummy only has to cost what a real Verify costs.
const dummySalt = "ostiary-dummy-salt"

// VerifyDummy spends the time a Verify against a current hash spends, and
// always fails. Call it when the account is unknown (or has no password) so
// that the response time does not tell which email addresses exist.
func VerifyDummy(pw string) {
	got := argon2.IDKey([]byte(pw), []byte(dummySalt), Time, Memory, Threads, KeyLen)
	var zero [KeyLen]byte
	subtle.ConstantTimeCompare(got, zero[:])
}

type argon2idHash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func parseArgon2id(encoded string) (argon2idHash, error) {
	var h argon2idHash
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		return h, fmt.Errorf("%w: argon2id: want 5 fields, got %d", ErrMalformed, len(parts)-1)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || fmt.Sprintf("v=%d", version) != parts[2] {
		return h, fmt.Errorf("%w: argon2id: bad version field", ErrMalformed)
	}
	if version != argon2.Version {
		return h, fmt.Errorf("%w: argon2id: unsupported version %d", ErrMalformed, version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", h.memory, h.time, threads) != parts[3] {
		return h, fmt.Errorf("%w: argon2id: bad parameter field", ErrMalformed)
	}
	if h.time < 1 || h.time > maxTime || threads < 1 || threads > 255 ||
		h.memory < 8*threads || h.memory > maxMemory {
		return h, fmt.Errorf("%w: argon2id: parameters out of range", ErrMalformed)
	}
	h.threads = uint8(threads)
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < minSalt {
		return h, fmt.Errorf("%w: argon2id: bad salt", ErrMalformed)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < minKey || len(h.key) > maxKey {
		return h, fmt.Errorf("%w: argon2id: bad hash", ErrMalformed)
	}
	return h, nil
}
