// Package migrations embeds the SQL schema of every backend. Each backend
// applies its files in name order, one transaction each, and records the name
// and checksum of what it applied, so an edited applied migration is caught.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one schema step.
type Migration struct {
	// Name is the file name, e.g. "0001_init.sql"; it orders the steps.
	Name string
	SQL  string
	// Checksum is the hex SHA-256 of SQL.
	Checksum string
}

// For returns the migrations of dialect ("postgres" or "sqlite") in the order
// they must be applied.
func For(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := files.ReadFile(dialect + "/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s/%s: %w", dialect, e.Name(), err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Name: e.Name(), SQL: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
