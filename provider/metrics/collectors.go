package metrics

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/storage"
)

// scrapeTimeout bounds the database reads one scrape makes (the mail
// queue, the key set).
const scrapeTimeout = 2 * time.Second

// SQLPool is a store on database/sql (storage/sqlite).
type SQLPool interface{ DBStats() sql.DBStats }

// PgxPool is a store on a pgx pool (storage/postgres).
type PgxPool interface{ PoolStat() *pgxpool.Stat }

// RegisterDB adds the connection pool's statistics of store, when its
// backend has a pool this package knows (SQLPool, PgxPool); it reports
// whether it did.
func (m *Metrics) RegisterDB(store any) bool {
	if m == nil {
		return false
	}
	switch s := store.(type) {
	case PgxPool:
		m.reg.MustRegister(&poolCollector{backend: "postgres", stat: func() poolStat {
			st := s.PoolStat()
			return poolStat{open: int(st.TotalConns()), inUse: int(st.AcquiredConns()), idle: int(st.IdleConns()),
				max: int(st.MaxConns()), waits: st.EmptyAcquireCount(), waited: st.EmptyAcquireWaitTime()}
		}})
	case SQLPool:
		m.reg.MustRegister(&poolCollector{backend: "sqlite", stat: func() poolStat {
			st := s.DBStats()
			return poolStat{open: st.OpenConnections, inUse: st.InUse, idle: st.Idle,
				max: st.MaxOpenConnections, waits: st.WaitCount, waited: st.WaitDuration}
		}})
	default:
		return false
	}
	return true
}

// poolStat is what both pools report alike.
type poolStat struct {
	open, inUse, idle, max int
	// waits counts acquisitions that had to wait for a connection, waited
	// their total wait.
	waits  int64
	waited time.Duration
}

var (
	poolLabels = []string{"backend"}
	poolOpen   = prometheus.NewDesc(Namespace+"_db_pool_open_connections", "Connections open (in use and idle).", poolLabels, nil)
	poolInUse  = prometheus.NewDesc(Namespace+"_db_pool_in_use_connections", "Connections in use.", poolLabels, nil)
	poolIdle   = prometheus.NewDesc(Namespace+"_db_pool_idle_connections", "Idle connections.", poolLabels, nil)
	poolMax    = prometheus.NewDesc(Namespace+"_db_pool_max_connections", "The pool's limit (0: none).", poolLabels, nil)
	poolWaits  = prometheus.NewDesc(Namespace+"_db_pool_waits_total", "Acquisitions that waited for a free connection.", poolLabels, nil)
	poolWaited = prometheus.NewDesc(Namespace+"_db_pool_wait_seconds_total", "Total time spent waiting for a free connection.", poolLabels, nil)
)

type poolCollector struct {
	backend string
	stat    func() poolStat
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMax, poolWaits, poolWaited} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.open), c.backend)
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.inUse), c.backend)
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.idle), c.backend)
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.max), c.backend)
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.waits), c.backend)
	ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, s.waited.Seconds(), c.backend)
}

var (
	mailPending = prometheus.NewDesc(Namespace+"_mail_queue_depth", "Mails in the outbox still to be sent (neither sent nor given up).", nil, nil)
	mailOldest  = prometheus.NewDesc(Namespace+"_mail_queue_oldest_age_seconds", "Age of the oldest mail still to be sent; 0 with an empty queue.", nil, nil)
)

// MailQueue reads the outbox's backlog (storage.MailStore.MailQueue).
type MailQueue func(ctx context.Context) (storage.MailQueueStats, error)

// RegisterMailQueue adds the outbox's depth and oldest age, read at each
// scrape; now is the clock.
func (m *Metrics) RegisterMailQueue(queue MailQueue, now func() time.Time) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&readCollector{descs: []*prometheus.Desc{mailPending, mailOldest},
		read: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			q, err := queue(ctx)
			if err != nil {
				return err
			}
			var age float64
			if !q.Oldest.IsZero() {
				age = max(now().Sub(q.Oldest).Seconds(), 0)
			}
			ch <- prometheus.MustNewConstMetric(mailPending, prometheus.GaugeValue, float64(q.Pending))
			ch <- prometheus.MustNewConstMetric(mailOldest, prometheus.GaugeValue, age)
			return nil
		}})
}

var (
	keyAge   = prometheus.NewDesc(Namespace+"_signing_key_age_seconds", "Age of the key that signs now, by algorithm (since it started signing).", []string{"alg"}, nil)
	keyCount = prometheus.NewDesc(Namespace+"_signing_keys", "Keys in the key set, by algorithm and state (next, signing, retired).", []string{"alg", "state"}, nil)
)

// KeyLister lists the signing keys (keys.Manager.List).
type KeyLister func(ctx context.Context) ([]keys.KeyInfo, error)

// RegisterKeys adds the signing keys' ages and counts, read at each scrape.
func (m *Metrics) RegisterKeys(list KeyLister, now func() time.Time) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&readCollector{descs: []*prometheus.Desc{keyAge, keyCount},
		read: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			ks, err := list(ctx)
			if err != nil {
				return err
			}
			collectKeys(ch, ks, now())
			return nil
		}})
}

func collectKeys(ch chan<- prometheus.Metric, list []keys.KeyInfo, now time.Time) {
	type algState struct{ alg, state string }
	counts := map[algState]int{}
	for _, k := range list {
		counts[algState{k.Algorithm, k.State}]++
		if k.State == keys.StateSigning {
			ch <- prometheus.MustNewConstMetric(keyAge, prometheus.GaugeValue, max(now.Sub(k.ActiveFrom).Seconds(), 0), k.Algorithm)
		}
	}
	for _, alg := range keys.Supported {
		for _, state := range []string{keys.StateNext, keys.StateSigning, keys.StateRetired} {
			ch <- prometheus.MustNewConstMetric(keyCount, prometheus.GaugeValue, float64(counts[algState{alg, state}]), alg, state)
		}
	}
}

// readCollector reads the database at each scrape, within scrapeTimeout. A
// failed read reports its first metric invalid: that family is missing from
// the scrape, the others are served (Handler continues on error).
type readCollector struct {
	descs []*prometheus.Desc
	read  func(ctx context.Context, ch chan<- prometheus.Metric) error
}

func (c *readCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *readCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if err := c.read(ctx, ch); err != nil {
		ch <- prometheus.NewInvalidMetric(c.descs[0], err)
	}
}
