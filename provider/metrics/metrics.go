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
	// routes caches each route's bound children: route → *route.
	routes sync.Map

	tokens *prometheus.CounterVec
	// issued caches the bound counter per grant type and client.
	issued       sync.Map
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

// route is one route pattern's bound children.
type route struct {
	pattern string
	// children: key{method, status} → *child.
	children sync.Map
}

type childKey struct {
	method string
	status int
}

type child struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// ObserveRequest counts one answered request (httpobs.Observer). route is
// a mux pattern and method a standard method or OTHER (httpobs.Method).
func (m *Metrics) ObserveRequest(pattern, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	c := m.child(pattern, method, status)
	c.requests.Inc()
	c.duration.Observe(d.Seconds())
}

func (m *Metrics) child(pattern, method string, status int) *child {
	rv, ok := m.routes.Load(pattern)
	if !ok {
		rv, _ = m.routes.LoadOrStore(pattern, &route{pattern: pattern})
	}
	rt := rv.(*route)
	k := childKey{method, status}
	if cv, ok := rt.children.Load(k); ok {
		return cv.(*child)
	}
	c := &child{
		requests: m.requests.WithLabelValues(pattern, method, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(pattern, method),
	}
	cv, _ := rt.children.LoadOrStore(k, c)
	return cv.(*child)
}

type grantKey struct{ grant, client string }

// TokenIssued counts a successful token response. The client is one the
// token endpoint authenticated (or a registered public client), so the
// label's values are bounded by the registrations.
func (m *Metrics) TokenIssued(grantType, clientID string) {
	if m == nil {
		return
	}
	k := grantKey{grantType, clientID}
	if c, ok := m.issued.Load(k); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c, _ := m.issued.LoadOrStore(k, m.tokens.WithLabelValues(grantType, clientID))
	c.(prometheus.Counter).Inc()
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
