package audit

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/ostiary/ostiary/storage"
)

// Store keeps audit events; storage.AuditStore is one.
type Store interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Recorder stores each event and writes it to Log. It has the method set
// of the store it wraps, so it goes wherever an auditor is expected.
type Recorder struct {
	Store Store
	// Log receives one line per stored event, in the format of the rest of
	// the log (cmd/ gives it the handler of log.format).
	Log *slog.Logger
}

// AppendAudit stores e, then logs it. An event the store refused is not
// logged as if it had happened; the caller sees the error.
func (r *Recorder) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if err := r.Store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if r.Log == nil {
		return nil
	}
	attrs := []slog.Attr{
		slog.String("id", e.ID),
		slog.Time("time", e.Time),
		slog.String("type", e.Type),
	}
	for _, f := range []struct{ k, v string }{
		{"actor_id", e.ActorID}, {"subject_id", e.SubjectID}, {"client_id", e.ClientID}, {"org_id", e.OrgID}, {"ip", e.IP},
	} {
		if f.v != "" {
			attrs = append(attrs, slog.String(f.k, f.v))
		}
	}
	if len(e.Details) > 0 {
		// In key order, so one event is always the same line.
		d := make([]any, 0, len(e.Details))
		for _, k := range slices.Sorted(maps.Keys(e.Details)) {
			d = append(d, slog.String(k, e.Details[k]))
		}
		attrs = append(attrs, slog.Group("details", d...))
	}
	r.Log.LogAttrs(ctx, slog.LevelInfo, "audit", slog.Attr{Key: "audit", Value: slog.GroupValue(attrs...)})
	return nil
}
