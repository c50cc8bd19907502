package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

type fakePool struct{}

func (fakePool) DBStats() sql.DBStats { return sql.DBStats{MaxOpenConnections: 4, OpenConnections: 1} }

// exported is every metric family a provider's registry serves, with each
// vector observed once so that it shows.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := New()
	if !m.RegisterDB(fakePool{}) {
		t.Fatal("RegisterDB refused a database/sql pool")
	}
	if m.RegisterDB(struct{}{}) {
		t.Fatal("RegisterDB accepted a store without a pool")
	}
	now := time.Now
	m.RegisterMailQueue(func(context.Context) (storage.MailQueueStats, error) { return storage.MailQueueStats{}, nil }, now)
	m.RegisterKeys(func(context.Context) ([]keys.KeyInfo, error) {
		return []keys.KeyInfo{{Algorithm: "RS256", State: keys.StateSigning, ActiveFrom: now()}}, nil
	}, now)
	m.ObserveRequest("/x", "GET", 200, time.Millisecond)
	m.TokenIssued("client_credentials", "c")
	m.RefreshReuse()
	m.loginFailures.WithLabelValues(StagePassword, "bad_password").Inc()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	return names
}

var metricName = regexp.MustCompile(`\b(?:ostiary|go|process)_[a-z_]+`)

// The example dashboard and the README's table name only metrics the
// provider exports, and the table lists every one of ours.
func TestDashboardAndREADMEMatchTheMetrics(t *testing.T) {
	names := exported(t)
	known := func(n string) bool {
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			if names[strings.TrimSuffix(n, suffix)] && strings.HasSuffix(n, suffix) {
				return true
			}
		}
		return false
	}

	raw, err := os.ReadFile("../../examples/grafana/ostiary.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var exprs int
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs++
			for _, n := range metricName.FindAllString(tg.Expr, -1) {
				if !known(n) {
					t.Errorf("dashboard panel %q queries %s, which the provider does not export", p.Title, n)
				}
			}
		}
	}
	if exprs < 10 {
		t.Errorf("the dashboard has %d queries", exprs)
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n### Metrics\n")
	section, _, _ = strings.Cut(section, "\n### ")
	listed := map[string]bool{}
	for _, n := range regexp.MustCompile("`(ostiary_[a-z_]+)`").FindAllStringSubmatch(section, -1) {
		listed[n[1]] = true
		if !names[n[1]] {
			t.Errorf("README lists %s, which the provider does not export", n[1])
		}
	}
	for n := range names {
		if strings.HasPrefix(n, Namespace+"_") && !listed[n] {
			t.Errorf("README's metrics table lacks %s", n)
		}
	}
}
