package provider

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider/audit"
	"github.com/ostiary/ostiary/provider/audit/forward"
	"github.com/ostiary/ostiary/storage"
)

// AuditForwardingConfig sends every audit event the sinks' filters take to
// syslog servers and webhook receivers, through the database outbox
// (provider/audit/forward). No sinks: off.
type AuditForwardingConfig struct {
	Sinks []forward.SinkConfig
	// Worker settings; the worker refuses zero ones.
	PollInterval, Lease, Backoff, MaxBackoff, Timeout time.Duration
	BatchSize                                         int
}

func defaultAuditForwarding() AuditForwardingConfig {
	return AuditForwardingConfig{PollInterval: forward.DefaultPollInterval, Lease: forward.DefaultLease,
		Backoff: forward.DefaultBackoff, MaxBackoff: forward.DefaultMaxBackoff, Timeout: forward.DefaultTimeout,
		BatchSize: forward.DefaultBatchSize}
}

// newAuditForwarding returns the store the audit recorder writes to: store
// itself without sinks, else the outbox that queues each event with it;
// and the worker that delivers (nil without sinks). Webhooks go through
// egress, the guarded client.
func newAuditForwarding(cfg Config, store storage.Store, egress *http.Client, logger *slog.Logger) (audit.Store, *forward.Worker) {
	f := cfg.AuditForwarding
	if len(f.Sinks) == 0 {
		return store, nil
	}
	sinks := forward.NewSinks(f.Sinks, forward.Deps{HTTP: egress, Now: cfg.now})
	w := &forward.Worker{Store: store, Sinks: sinks, Now: cfg.now, PollInterval: f.PollInterval, Lease: f.Lease,
		Backoff: f.Backoff, MaxBackoff: f.MaxBackoff, Timeout: f.Timeout, BatchSize: f.BatchSize, Logger: logger}
	return &forward.Outbox{Store: store, Routes: forward.Routes(sinks), Now: cfg.now, Wake: w.Wake}, w
}
