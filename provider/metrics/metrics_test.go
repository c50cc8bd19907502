package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

type nopAuditor struct{ n int }

func (a *nopAuditor) AppendAudit(context.Context, storage.AuditEvent) error { a.n++; return nil }

func TestLoginsByStageAndReason(t *testing.T) {
	m := New()
	next := &nopAuditor{}
	a := m.CountLogins(next)
	for _, e := range []storage.AuditEvent{
		{Type: "login.success"},
		{Type: "login.failure", Details: map[string]string{"reason": "bad_password"}},
		{Type: "login.failure", Details: map[string]string{"reason": "bad_password"}},
		{Type: "login.failure", Details: map[string]string{"reason": "disabled", "connector": "gh"}},
		{Type: "login.failure", Details: map[string]string{"reason": "bad_password", "connector": "gh", "during": "link"}},
		{Type: "login.mfa_failure", Details: map[string]string{"reason": "replayed_code"}},
		// An upstream provider's own error code must not become a label.
		{Type: "login.upstream_failure", Details: map[string]string{"reason": "upstream_made_up_by_them"}},
		{Type: "login.failure", Details: map[string]string{"reason": "something new"}},
		{Type: "client.created"},
	} {
		if err := a.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if next.n != 9 {
		t.Fatalf("the wrapped auditor got %d events, want every one (9)", next.n)
	}
	if got := testutil.ToFloat64(m.loginSuccess); got != 1 {
		t.Errorf("login_successes_total = %v", got)
	}
	for labels, want := range map[[2]string]float64{
		{"password", "bad_password"}:   3, // the re-check when linking is a password check {"upstream", "disabled"}: 1, {"mfa", "replayed_code"}: 1,
		{"upstream", "upstream_error"}: 1, {"password", "other"}: 1,
	} {
		if got := testutil.ToFloat64(m.loginFailures.WithLabelValues(labels[0], labels[1])); got != want {
			t.Errorf("login_failures_total%v = %v, want %v", labels, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.loginFailures); n != 5 {
		t.Errorf("login_failures_total has %d series, want 5", n)
	}
}

func TestRequestsAndTokens(t *testing.T) {
	m := New()
	for range 3 {
		m.ObserveRequest("POST /oauth2/token", "POST", 200, 3*time.Millisecond)
		m.TokenIssued("refresh_token", "app")
	}
	m.ObserveRequest("POST /oauth2/token", "POST", 400, time.Millisecond)
	m.RefreshReuse()
	if got := testutil.ToFloat64(m.requests.WithLabelValues("POST /oauth2/token", "POST", "200")); got != 3 {
		t.Errorf("requests 200 = %v", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("POST /oauth2/token", "POST", "400")); got != 1 {
		t.Errorf("requests 400 = %v", got)
	}
	if got := testutil.ToFloat64(m.tokens.WithLabelValues("refresh_token", "app")); got != 3 {
		t.Errorf("tokens issued = %v", got)
	}
	if got := testutil.ToFloat64(m.refreshReuse); got != 1 {
		t.Errorf("refresh reuse = %v", got)
	}
	// A nil *Metrics is a no-op, for components built without metrics.
	var none *Metrics
	none.ObserveRequest("x", "GET", 200, 0)
	none.TokenIssued("a", "b")
	none.RefreshReuse()
	none.ThrottleRejected(LimiterLogin)
	none.BackchannelDelivery(BackchannelDelivered)
}

func TestScrapeCollectors(t *testing.T) {
	m := New()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m.RegisterMailQueue(func(context.Context) (storage.MailQueueStats, error) {
		return storage.MailQueueStats{Pending: 3, Oldest: now.Add(-90 * time.Second)}, nil
	}, clock)
	m.RegisterKeys(func(context.Context) ([]keys.KeyInfo, error) {
		return []keys.KeyInfo{
			{ID: "a", Algorithm: "RS256", State: keys.StateSigning, ActiveFrom: now.Add(-time.Hour)},
			{ID: "b", Algorithm: "RS256", State: keys.StateRetired, ActiveFrom: now.Add(-48 * time.Hour)},
		}, nil
	}, clock)
	want := `
# HELP ostiary_mail_queue_depth Mails in the outbox still to be sent (neither sent nor given up).
# TYPE ostiary_mail_queue_depth gauge
ostiary_mail_queue_depth 3
# HELP ostiary_mail_queue_oldest_age_seconds Age of the oldest mail still to be sent; 0 with an empty queue.
# TYPE ostiary_mail_queue_oldest_age_seconds gauge
ostiary_mail_queue_oldest_age_seconds 90
# HELP ostiary_signing_key_age_seconds Age of the key that signs now, by algorithm (since it started signing).
# TYPE ostiary_signing_key_age_seconds gauge
ostiary_signing_key_age_seconds{alg="RS256"} 3600
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"ostiary_mail_queue_depth", "ostiary_mail_queue_oldest_age_seconds", "ostiary_signing_key_age_seconds"); err != nil {
		t.Error(err)
	}

	// A failing read drops its own family; the rest of the scrape stands.
	broken := New()
	broken.RegisterMailQueue(func(context.Context) (storage.MailQueueStats, error) {
		return storage.MailQueueStats{}, errors.New("database down")
	}, clock)
	rec := httptest.NewRecorder()
	broken.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_cpu_seconds_total") ||
		strings.Contains(body, "ostiary_mail_queue_depth ") {
		t.Errorf("scrape with a failing collector: %d\n%s", rec.Code, body)
	}
}
