package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Conversions between records and columns, so that every table follows the
// conventions in storage/doc.go the same way: times in UTC at microsecond
// precision with NULL for zero, NULL or '[]' read back as nil slices.
//
// A NULL time is the zero time, the earliest instant, so orderings on a
// nullable time say NULLS FIRST ascending and NULLS LAST descending:
// PostgreSQL's default is the opposite.

// ts is a time argument: NULL for the zero time, otherwise the instant in UTC
// truncated to what timestamptz keeps, so that comparisons against stored
// values agree with what reads return.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeDest scans a nullable timestamptz into a time.Time in UTC; NULL is the
// zero time.
type timeDest struct{ p *time.Time }

func (d timeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*d.p = time.Time{}
		return nil
	}
	*d.p = v.Time.UTC()
	return nil
}

func scanTime(p *time.Time) timeDest { return timeDest{p} }

// list is a string-list argument stored as a jsonb array.
func list(s []string) []byte {
	if len(s) == 0 {
		return []byte("[]")
	}
	// Marshalling a []string cannot fail.
	b, _ := json.Marshal(s)
	return b
}

// listDest scans a jsonb array into a []string, nil when empty.
type listDest struct{ p *[]string }

func (d listDest) ScanBytes(v []byte) error {
	*d.p = nil
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		return fmt.Errorf("decode string list: %w", err)
	}
	if len(out) > 0 {
		*d.p = out
	}
	return nil
}

func scanList(p *[]string) listDest { return listDest{p} }

// bytesArg is a bytea argument: NULL for none.
func bytesArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bytesDest scans a nullable bytea into a []byte of its own, nil for NULL or
// empty.
type bytesDest struct{ p *[]byte }

func (d bytesDest) ScanBytes(v []byte) error {
	if len(v) == 0 {
		*d.p = nil
		return nil
	}
	*d.p = append([]byte(nil), v...)
	return nil
}

func scanBytes(p *[]byte) bytesDest { return bytesDest{p} }

// nullText is a text argument: NULL for the empty string, for nullable
// foreign keys.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textDest scans nullable text, NULL as "".
type textDest struct{ p *string }

func (d textDest) ScanText(v pgtype.Text) error {
	*d.p = v.String
	return nil
}

func scanText(p *string) textDest { return textDest{p} }

// durationDest scans bigint nanoseconds into a time.Duration.
type durationDest struct{ p *time.Duration }

func (d durationDest) ScanInt64(v pgtype.Int8) error {
	*d.p = time.Duration(v.Int64)
	return nil
}

func scanDuration(p *time.Duration) durationDest { return durationDest{p} }

// object is a JSON object argument (attributes) stored as jsonb, NULL for
// none.
func object(m map[string]any) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return b, nil
}

// objectDest scans a nullable jsonb object into a map, nil for NULL or {}.
type objectDest struct{ p *map[string]any }

func (d objectDest) ScanBytes(v []byte) error {
	*d.p = nil
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(v, &out); err != nil {
		return fmt.Errorf("decode attributes: %w", err)
	}
	if len(out) > 0 {
		*d.p = out
	}
	return nil
}

func scanObject(p *map[string]any) objectDest { return objectDest{p} }
