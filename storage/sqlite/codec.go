package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The column encodings: times as unix microseconds in UTC with NULL for the
// zero time (exact, and unambiguous even for the Unix epoch), lists and maps
// as JSON text with NULL for none, bytes with NULL for none, durations as
// nanoseconds.

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func list(ss []string) any {
	if len(ss) == 0 {
		return nil
	}
	b, _ := json.Marshal(ss) // a []string always marshals
	return string(b)
}

func dict(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

type listCol struct{ p *[]string }

func (c listCol) Scan(src any) error {
	*c.p = nil
	text, err := textOf(src)
	if err != nil || text == "" {
		return err
	}
	var out []string
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return fmt.Errorf("list column: %w", err)
	}
	if len(out) > 0 {
		*c.p = out
	}
	return nil
}

type dictCol struct{ p *map[string]string }

func (c dictCol) Scan(src any) error {
	*c.p = nil
	text, err := textOf(src)
	if err != nil || text == "" {
		return err
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return fmt.Errorf("map column: %w", err)
	}
	if len(out) > 0 {
		*c.p = out
	}
	return nil
}

type blobCol struct{ p *[]byte }

func (c blobCol) Scan(src any) error {
	*c.p = nil
	switch v := src.(type) {
	case nil:
	case []byte:
		// The driver may reuse its buffer after Scan returns.
		if len(v) > 0 {
			*c.p = append([]byte(nil), v...)
		}
	case string:
		if v != "" {
			*c.p = []byte(v)
		}
	default:
		return fmt.Errorf("blob column holds %T", src)
	}
	return nil
}

type stringCol struct{ p *string }

func (c stringCol) Scan(src any) error {
	text, err := textOf(src)
	*c.p = text
	return err
}

func textOf(src any) (string, error) {
	switch v := src.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	default:
		return "", fmt.Errorf("text column holds %T", src)
	}
}

// placeholders returns "?, ?, ..." for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// object is a JSON object argument (attributes): JSON text, NULL for none.
func object(m map[string]any) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return string(b), nil
}

// objectCol scans a JSON object column into a map, nil for NULL or {}.
type objectCol struct{ p *map[string]any }

func (c objectCol) Scan(src any) error {
	*c.p = nil
	text, err := textOf(src)
	if err != nil || text == "" {
		return err
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return fmt.Errorf("object column: %w", err)
	}
	if len(out) > 0 {
		*c.p = out
	}
	return nil
}
