package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// PathStatic is where Static is mounted under the issuer's path.
const PathStatic = "/static/"

type asset struct {
	body    []byte
	version string
}

func loadAssets(fsys fs.FS) (map[string]asset, error) {
	assets := map[string]asset{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets[name] = asset{body: b, version: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("page: read static files: %w", err)
	}
	return assets, nil
}

// staticURL names an asset with its content hash, so it can be cached for a
// year and still change with a release.
func (s *Site) staticURL(name string) (string, error) {
	a, ok := s.assets[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return s.base + PathStatic + name + "?v=" + a.version, nil
}

// Static serves the stylesheet and images; mount it at PathStatic under the
// issuer's path. A request naming the current content hash is cacheable for
// a year; any other for five minutes.
func (s *Site) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Base(r.URL.Path)
		a, ok := s.assets[name]
		if !ok || !strings.HasSuffix(r.URL.Path, PathStatic+name) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'")
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		h.Set("ETag", `"`+a.version+`"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
