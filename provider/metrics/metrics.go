package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the provider.
const Namespace = "ostiary"

// Metrics is the registry and the provider's own instruments. The zero
// value is not usable; a nil *Metrics records nothing, so a component
// built without metrics (a test, a CLI command) needs no stand-in.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// routes caches the children bound to each route, method and status:
	// after the first request of a kind, one lock-free lookup (no
	// allocation, no label hashing) finds them.
	routes bound[childKey, *child]

	tokens *prometheus.CounterVec
	// issued caches the counter bound to each grant type and client.
	issued       bound[grantKey, prometheus.Counter]
	refreshReuse prometheus.Counter

	loginSuccess  prometheus.Counter
	loginFailures *prometheus.CounterVec
	throttle      *prometheus.CounterVec
	backchannel   *prometheus.CounterVec
}

// New builds a registry with the Go runtime and process collectors and
// the provider's instruments.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "tokens_issued_total",
			Help: "Successful token endpoint responses, by grant type and client id (registered clients only).",
		}, []string{"grant_type", "client_id"}),
		refreshReuse: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "refresh_token_reuse_total",
			Help: "Refresh tokens presented after rotation or revocation; each one revokes its whole family (RFC 9700 §4.14.2).",
		}),
		loginSuccess: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "login_successes_total",
			Help: "Completed sign-ins (password, second factor or upstream provider).",
		}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "login_failures_total",
			Help: "Failed sign-in attempts, by stage (password, mfa, upstream) and reason.",
		}, []string{"stage", "reason"}),
		throttle: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "throttle_rejections_total",
			Help: "Attempts refused by a throttle before any check, by limiter (login, device_code).",
		}, []string{"limiter"}),
		backchannel: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "backchannel_logout_deliveries_total",
			Help: "Back-channel logout deliveries, by final result (delivered, failed, abandoned).",
		}, []string{"result"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.tokens, m.refreshReuse, m.loginSuccess, m.loginFailures, m.throttle, m.backchannel,
	)
	// The fixed label values exist from the start, at zero, so that rate()
	// and dashboards see them before the first event.
	for _, r := range []string{BackchannelDelivered, BackchannelFailed, BackchannelAbandoned} {
		m.backchannel.WithLabelValues(r)
	}
	for _, l := range []string{LimiterLogin, LimiterDeviceCode} {
		m.throttle.WithLabelValues(l)
	}
	return m
}

// Registry is where further collectors go (the database pool, the mail
// queue, the keys); tests gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	// A collector that cannot read the database (the mail queue, the keys)
	// drops its own series; the rest of the scrape is still served.
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// bound is a cache of label-bound children, filled on first use. Reads
// are lock-free (sync.Map), so the request and token paths never contend
// on a lock.
type bound[K comparable, V any] struct{ m sync.Map }

// get returns the child for k, binding it with bind the first time.
func (b *bound[K, V]) get(k K, bind func() V) V {
	if v, ok := b.m.Load(k); ok {
		return v.(V)
	}
	v, _ := b.m.LoadOrStore(k, bind())
	return v.(V)
}

type childKey struct {
	route, method string
	status        int
}

type child struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// ObserveRequest counts one answered request (httpobs.Observer). route is
// a mux pattern and method a standard method or OTHER (httpobs.Method).
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	c := m.child(route, method, status)
	c.requests.Inc()
	c.duration.Observe(d.Seconds())
}

func (m *Metrics) child(route, method string, status int) *child {
	return m.routes.get(childKey{route, method, status}, func() *child {
		return &child{
			requests: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: m.duration.WithLabelValues(route, method),
		}
	})
}

type grantKey struct{ grant, client string }

// TokenIssued counts a successful token response. The client is one the
// token endpoint authenticated (or a registered public client), so the
// label's values are bounded by the registrations.
func (m *Metrics) TokenIssued(grantType, clientID string) {
	if m == nil {
		return
	}
	m.issued.get(grantKey{grantType, clientID}, func() prometheus.Counter {
		return m.tokens.WithLabelValues(grantType, clientID)
	}).Inc()
}

// RefreshReuse counts a refresh token presented again after rotation or
// revocation.
func (m *Metrics) RefreshReuse() {
	if m == nil {
		return
	}
	m.refreshReuse.Inc()
}

// Limiters (throttle_rejections_total's label).
const (
	LimiterLogin      = "login"
	LimiterDeviceCode = "device_code"
)

// ThrottleRejected counts an attempt a throttle refused.
func (m *Metrics) ThrottleRejected(limiter string) {
	if m != nil {
		m.throttle.WithLabelValues(limiter).Inc()
	}
}

// Back-channel delivery results (backchannel_logout_deliveries_total).
const (
	BackchannelDelivered = "delivered"
	BackchannelFailed    = "failed"
	BackchannelAbandoned = "abandoned"
)

// BackchannelDelivery counts one back-channel logout delivery's end.
func (m *Metrics) BackchannelDelivery(result string) {
	if m != nil {
		m.backchannel.WithLabelValues(result).Inc()
	}
}
