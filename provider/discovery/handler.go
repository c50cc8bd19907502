package discovery

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JWKSSource returns the current JSON Web Key Set and its strong ETag
// (keys.Manager).
type JWKSSource interface {
	JWKS(ctx context.Context) (body []byte, etag string, err error)
}

// Handler serves the discovery document at PathOpenIDConfiguration and
// PathOAuthServerMetadata and the key set at PathJWKS. Mount it on each of
// those paths. Set the fields before first use; the document is serialized
// once, on the first request.
type Handler struct {
	Metadata Metadata
	Keys     JWKSSource
	// MaxAge is the Cache-Control max-age of all three documents; keep it
	// no longer than the key manager's JWKSMaxAge. It has no default: zero
	// is a configuration error, every document answered with 500.
	MaxAge time.Duration
	// Logger receives failures to read the key set; nil logs nothing.
	Logger *slog.Logger

	once         sync.Once
	doc          []byte
	docHeaders   *docHeaders
	cacheControl []string
	docErr       error
	// configErr is a field set wrong; nothing is served.
	configErr error
	// jwksHeaders are those of the key set last served, rebuilt when its
	// ETag changes (a new key set version).
	jwksHeaders atomic.Pointer[docHeaders]
}

// docHeaders are the per-document header values, built once per document
// rather than per request: these endpoints are polled by every client and
// resource server, and formatting headers was a fair part of what they
// cost beyond net/http itself.
type docHeaders struct {
	etag   string
	etagV  []string
	length []string
}

func newDocHeaders(body []byte, etag string) *docHeaders {
	return &docHeaders{etag: etag, etagV: []string{etag}, length: []string{strconv.Itoa(len(body))}}
}

// Header values shared by every response. net/http only reads them; each
// has len == cap, so an Add by anyone would copy rather than write into it.
var (
	valAnyOrigin = []string{"*"}
	valExposed   = []string{"ETag"}
	valJSON      = []string{"application/json"}
	valNosniff   = []string{"nosniff"}
)

func (h *Handler) init() {
	if h.MaxAge <= 0 {
		h.configErr = fmt.Errorf("discovery: MaxAge is %v, want a positive duration", h.MaxAge)
		return
	}
	h.cacheControl = []string{"public, max-age=" + strconv.Itoa(int(h.MaxAge/time.Second))}
	doc, err := json.Marshal(h.Metadata)
	if err != nil {
		h.docErr = fmt.Errorf("discovery: encode metadata: %w", err)
		return
	}
	sum := sha256.Sum256(doc)
	h.doc = doc
	h.docHeaders = newDocHeaders(doc, `"`+base64.RawURLEncoding.EncodeToString(sum[:])+`"`)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	if h.configErr != nil {
		if h.Logger != nil {
			h.Logger.ErrorContext(r.Context(), "serving discovery", "error", h.configErr)
		}
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	hdr := w.Header()
	// Public documents read by single-page apps on other origins. The keys
	// are in canonical form (Header.Set would canonicalize them).
	hdr["Access-Control-Allow-Origin"] = valAnyOrigin
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		// CORS preflight (a browser sending If-None-Match by hand triggers one).
		hdr.Set("Allow", "GET, HEAD, OPTIONS")
		hdr.Set("Access-Control-Allow-Methods", "GET, HEAD")
		hdr.Set("Access-Control-Allow-Headers", "If-None-Match")
		hdr.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		hdr.Set("Allow", "GET, HEAD, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	switch r.URL.Path {
	case PathOpenIDConfiguration, PathOAuthServerMetadata:
		if h.docErr != nil {
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		h.serve(w, r, h.doc, h.docHeaders)
	case PathJWKS:
		body, etag, err := h.Keys.JWKS(r.Context())
		if err != nil {
			// Details stay in the log; the public gets a generic error.
			if h.Logger != nil {
				h.Logger.ErrorContext(r.Context(), "serving JWKS", "error", err)
			}
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
		dh := h.jwksHeaders.Load()
		// The ETag is strong: the same tag is the same body.
		if dh == nil || dh.etag != etag {
			dh = newDocHeaders(body, etag)
			h.jwksHeaders.Store(dh)
		}
		h.serve(w, r, body, dh)
	default:
		writeError(w, http.StatusNotFound, "not found")
	}
}

// serve writes a cacheable JSON document, or 304 when the client's copy is
// current (RFC 9110 §13.1.2).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, body []byte, dh *docHeaders) {
	hdr := w.Header()
	hdr["Cache-Control"] = h.cacheControl
	hdr["Etag"] = dh.etagV
	hdr["Access-Control-Expose-Headers"] = valExposed
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, dh.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = valJSON
	hdr["Content-Length"] = dh.length
	hdr["X-Content-Type-Options"] = valNosniff
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// etagMatches applies If-None-Match's weak comparison: "*" or any listed
// tag equal to etag once a W/ prefix is ignored.
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// writeError answers in the shape of an OAuth error (RFC 6749 §5.2), which
// is what clients of these endpoints know how to read.
func writeError(w http.ResponseWriter, status int, description string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	code := "invalid_request"
	if status >= 500 {
		code = "server_error"
	}
	b, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
	_, _ = w.Write(b)
}
