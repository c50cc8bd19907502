package userio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Formats Parse reads.
const (
	FormatOstiary = "ostiary"
	FormatAuth0   = "auth0"
	FormatCognito = "cognito"
)

// User is one user to import, whatever the source format.
type User struct {
	// ID is kept when the source is our own export, so that `sub` claims
	// stay the same for relying parties; empty means a new id.
	ID            string
	Email         string
	Name          string
	EmailVerified bool
	Disabled      bool
	Admin         bool
	CreatedAt     time.Time
	PasswordHash  string
	Memberships   []MembershipRecord
	Attributes    map[string]any
}

// Row is one parsed input record: a user, or why the line could not be
// read.
type Row struct {
	Line int
	User User
	Err  error
}

// maxLine bounds one JSON line; a user is well under a kilobyte.
const maxLine = 1 << 20

// Parse reads every record of r in format. It stops only when the input
// cannot be read at all; a malformed record becomes a Row with Err.
func Parse(format string, r io.Reader) ([]Row, error) {
	switch format {
	case FormatOstiary:
		return parseJSON(r, parseOstiary)
	case FormatAuth0:
		return parseJSON(r, parseAuth0)
	case FormatCognito:
		return parseCognito(r)
	default:
		return nil, fmt.Errorf("format %q: want ostiary, auth0 or cognito", format)
	}
}

// parseJSON reads JSON Lines, or one JSON array of objects (Auth0's bulk
// import files are arrays; its password-hash exports are lines).
func parseJSON(r io.Reader, one func([]byte) (User, error)) ([]Row, error) {
	br := bufio.NewReader(r)
	first, err := peekNonSpace(br)
	if err != nil {
		return nil, err
	}
	if first == '[' {
		return parseJSONArray(br, one)
	}
	var rows []Row
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		p, err := one(b)
		rows = append(rows, Row{Line: line, User: p, Err: err})
	}
	if err := sc.Err(); err != nil {
		return rows, fmt.Errorf("line %d: %w", len(rows)+1, err)
	}
	return rows, nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if !strings.ContainsRune(" \t\r\n\ufeff", rune(b[0])) {
			return b[0], nil
		}
		_, _ = br.ReadByte()
	}
}

// parseJSONArray reads [ {...}, {...} ]; each element's line is where it
// starts. Broken JSON syntax ends the array: nothing after it can be found.
func parseJSONArray(r io.Reader, one func([]byte) (User, error)) ([]Row, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	lineAt := func(off int64) int {
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
			off++
		}
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var rows []Row
	for dec.More() {
		line := lineAt(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			rows = append(rows, Row{Line: line, Err: fmt.Errorf("not JSON (the rest of the array cannot be read): %v", err)})
			return rows, nil
		}
		p, err := one(raw)
		rows = append(rows, Row{Line: line, User: p, Err: err})
	}
	return rows, nil
}

func parseOstiary(b []byte) (User, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return User{}, fmt.Errorf("not a JSON object of the ostiary format: %v", err)
	}
	return User(rec), nil
}

// auth0User covers both Auth0 shapes: the password-hash export support
// hands out (NDJSON, passwordHash, identifiers) and the bulk user import
// schema (password_hash or custom_password_hash, blocked).
type auth0User struct {
	Email              string `json:"email"`
	EmailVerified      *bool  `json:"email_verified"`
	Name               string `json:"name"`
	GivenName          string `json:"given_name"`
	FamilyName         string `json:"family_name"`
	Blocked            bool   `json:"blocked"`
	PasswordHashExport string `json:"passwordHash"`
	PasswordHash       string `json:"password_hash"`
	CustomPasswordHash *struct {
		Algorithm string `json:"algorithm"`
		Hash      struct {
			Value string `json:"value"`
		} `json:"hash"`
	} `json:"custom_password_hash"`
	Identifiers []struct {
		Type     string `json:"type"`
		Value    string `json:"value"`
		Verified bool   `json:"verified"`
	} `json:"identifiers"`
}

func parseAuth0(b []byte) (User, error) {
	var u auth0User
	if err := json.Unmarshal(b, &u); err != nil {
		return User{}, fmt.Errorf("not a JSON object of an Auth0 user: %v", err)
	}
	p := User{Email: u.Email, Name: u.Name, Disabled: u.Blocked}
	if u.EmailVerified != nil {
		p.EmailVerified = *u.EmailVerified
	}
	// Some export rows carry the address only in identifiers.
	for _, id := range u.Identifiers {
		if id.Type == "email" && p.Email == "" {
			p.Email, p.EmailVerified = id.Value, id.Verified
		}
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	switch {
	case u.PasswordHashExport != "":
		p.PasswordHash = u.PasswordHashExport
	case u.PasswordHash != "":
		p.PasswordHash = u.PasswordHash
	case u.CustomPasswordHash != nil:
		if alg := u.CustomPasswordHash.Algorithm; alg != "bcrypt" {
			return User{}, fmt.Errorf("custom_password_hash: algorithm %q is not supported (only bcrypt)", alg)
		}
		p.PasswordHash = u.CustomPasswordHash.Hash.Value
	}
	return p, nil
}

// parseCognito reads CSV with a header row, in the columns of Cognito's
// user import template (any order; unknown columns ignored) plus an
// optional password_hash, since Cognito itself never exports hashes.
func parseCognito(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: no CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := col["email"]; !ok {
		return nil, errors.New("line 1: the header has no email column")
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, Row{Line: pe.StartLine, Err: fmt.Errorf("not CSV: %v", pe.Err)})
				continue
			}
			return rows, err
		}
		// FieldPos panics on a record that failed to read, so only now.
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := User{Email: get("email"), Name: get("name"), PasswordHash: get("password_hash")}
		if p.Name == "" {
			p.Name = strings.TrimSpace(get("given_name") + " " + get("family_name"))
		}
		row := Row{Line: line, User: p}
		for _, f := range []struct {
			name string
			dst  *bool
		}{{"email_verified", &row.User.EmailVerified}, {"disabled", &row.User.Disabled}} {
			if v := get(f.name); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					row.Err = fmt.Errorf("%s: %q is not true or false", f.name, v)
				}
				*f.dst = b
			}
		}
		rows = append(rows, row)
	}
}
