// Package health serves the liveness and readiness probes.
package health

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Pinger answers whether the database is reachable and its schema current.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Handler serves /healthz and /readyz.
type Handler struct {
	DB      Pinger
	Timeout time.Duration
	Logger  *slog.Logger
}

// Live answers 200 while the process serves requests.
func (h *Handler) Live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// Ready answers 200 when the database answers and every migration is
// applied, 503 otherwise; the reason goes to the log, not the response.
func (h *Handler) Ready(w http.ResponseWriter, r *http.Request) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.DB.Ping(ctx); err != nil {
		h.Logger.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database not ready\n"))
		return
	}
	w.Write([]byte("ready\n"))
}
