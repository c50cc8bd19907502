package httpobs

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"net/http"
	"time"
)

// HeaderRequestID carries the request id, in and out.
const HeaderRequestID = "X-Request-Id"

// MaxRequestIDLen is the longest incoming request id accepted; a longer
// one, or one with other characters than letters, digits and "-_.:@", is
// replaced by a new id.
const MaxRequestIDLen = 64

// RouteUnmatched is the route of a request no pattern matched (the mux's
// own 404 or 405 answers).
const RouteUnmatched = "unmatched"

// Observer receives every finished request: the metrics.
type Observer interface {
	ObserveRequest(route, method string, status int, d time.Duration)
}

// Middleware observes requests. Its fields are all optional: without Log
// there is no access log, without Metrics no metrics.
type Middleware struct {
	Metrics Observer
	// Log receives one line per request, at Info.
	Log *slog.Logger
	// RemoteIP is the client's address (clientip.Resolver.ClientIP); nil
	// is the peer's address.
	RemoteIP func(*http.Request) string
	// Now is the clock for durations; nil is time.Now.
	Now func() time.Time
}

// state is what the handlers of one request tell the middleware.
type state struct {
	id       string
	clientID string
}

type ctxKey struct{}

// RequestID is the id of the request ctx belongs to; "" outside the
// middleware.
func RequestID(ctx context.Context) string {
	if s, ok := ctx.Value(ctxKey{}).(*state); ok {
		return s.id
	}
	return ""
}

// SetClientID records the OAuth client a handler authenticated, for the
// access log. Only a client id the handler established belongs here (not
// one a request merely names).
func SetClientID(ctx context.Context, id string) {
	if s, ok := ctx.Value(ctxKey{}).(*state); ok {
		s.clientID = id
	}
}

// Wrap observes every request next serves.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		// One allocation for the writer and the request's state.
		rw := &writer{ResponseWriter: w}
		st := &rw.state
		st.id = requestID(r.Header.Get(HeaderRequestID))
		w.Header().Set(HeaderRequestID, st.id)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
		defer func() {
			// A handler that panicked is answered by net/http (the
			// connection closes); it is still counted, as a 500.
			if p := recover(); p != nil {
				if rw.status == 0 {
					rw.status = http.StatusInternalServerError
				}
				m.done(r, rw, st, now().Sub(start))
				panic(p)
			}
			m.done(r, rw, st, now().Sub(start))
		}()
		next.ServeHTTP(rw, r)
	})
}

func (m *Middleware) done(r *http.Request, rw *writer, st *state, d time.Duration) {
	status := rw.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	route := r.Pattern
	if route == "" {
		route = RouteUnmatched
	}
	method := Method(r.Method)
	if m.Metrics != nil {
		m.Metrics.ObserveRequest(route, method, status, d)
	}
	if m.Log == nil || !m.Log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	var remote string
	if m.RemoteIP != nil {
		remote = m.RemoteIP(r)
	} else {
		remote = r.RemoteAddr
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int64("bytes", rw.bytes),
		slog.String("request_id", st.id),
		slog.String("remote", remote),
	)
	if st.clientID != "" {
		attrs = append(attrs, slog.String("client_id", st.clientID))
	}
	m.Log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// Method is m when it is a standard HTTP method, else "OTHER", so that a
// client cannot make up label values.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// requestID is the incoming id when it is sane, else a new one.
func requestID(in string) string {
	if in != "" && len(in) <= MaxRequestIDLen && safe(in) {
		return in
	}
	return NewRequestID()
}

func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '@':
		default:
			return false
		}
	}
	return true
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRequestID is 80 random bits, 16 characters of base32.
func NewRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// writer remembers the status and counts the bytes of the answer. Unwrap
// lets http.ResponseController reach the connection's own writer (Flush,
// deadlines).
type writer struct {
	http.ResponseWriter
	status int
	bytes  int64
	state  state
}

func (w *writer) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes a flush on, for handlers that assert http.Flusher.
func (w *writer) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
