package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestReady(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, http.StatusOK}, {errors.New("migration 0002 pending"), http.StatusServiceUnavailable}} {
		h := &Handler{DB: pinger{tc.err}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		rec := httptest.NewRecorder()
		h.Ready(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != tc.want {
			t.Errorf("Ping error %v: status %d, want %d", tc.err, rec.Code, tc.want)
		}
	}
}
