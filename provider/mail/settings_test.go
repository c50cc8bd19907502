package mail

import (
	"strings"
	"testing"
)

// withSettings gives w the worker settings the binary runs with, where it
// names none: a Worker takes no defaults of its own.
func withSettings(w *Worker) *Worker {
	if w.PollInterval == 0 {
		w.PollInterval = DefaultPollInterval
	}
	if w.Lease == 0 {
		w.Lease = DefaultLease
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.Backoff == 0 {
		w.Backoff = DefaultBackoff
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
	return w
}

// TestZeroSettingsAreRefused: a worker without its settings claims no
// mail and says which settings are missing.
func TestZeroSettingsAreRefused(t *testing.T) {
	_, err := (&Worker{}).RunOnce(t.Context())
	for _, want := range []string{"PollInterval", "Lease", "Backoff", "MaxBackoff", "MaxAttempts"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("RunOnce of a zero Worker: %v; want it to name %s", err, want)
		}
	}
	if err := (&SMTP{Host: "127.0.0.1", Port: 1, TLS: TLSNone}).Send(t.Context(), testMessage("m")); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("Send without a Timeout: %v", err)
	}
}
