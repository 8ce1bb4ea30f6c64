package broker

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of one request (label of the request counter and histogram).
const (
	OutForwarded   = "forwarded"       // allowed, sent to Stripe, Stripe answered (any status)
	OutDenied      = "denied"          // the policy refused it (403)
	OutUnauth      = "unauthenticated" // bad or missing token (401)
	OutRejected    = "rejected"        // malformed (400/413)
	OutLimited     = "rate-limited"    // 429
	OutStoreErr    = "store-error"     // store unavailable: failed closed (503)
	OutUpstreamErr = "upstream-error"  // Stripe unreachable (502)
)

var outcomes = []string{OutForwarded, OutDenied, OutUnauth, OutRejected, OutLimited, OutStoreErr, OutUpstreamErr}

// Metrics are the broker's Prometheus collectors, on their own registry.
// The app label only takes configured app names ("-" before
// authentication), so its cardinality is bounded by the policy.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.CounterVec
	denied      *prometheus.CounterVec
	upstream    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	upstreamDur prometheus.Histogram
	added       prometheus.Histogram
	retries     *prometheus.CounterVec
	realKeys    prometheus.Counter
	storeErrs   prometheus.Counter
	reloads     *prometheus.CounterVec
	apps        prometheus.Gauge
	durByOut    map[string]prometheus.Observer
	// byApp caches the request counters of the loaded apps (the series
	// seedApps creates), so a call does not hash its labels into the
	// vector: rebuilt on every policy load.
	byApp atomic.Pointer[map[[2]string]prometheus.Counter]
}

// request counts one request of app with outcome.
func (m *Metrics) request(app, outcome string) {
	if c, ok := (*m.byApp.Load())[[2]string{app, outcome}]; ok {
		c.Inc()
		return
	}
	m.requests.WithLabelValues(app, outcome).Inc()
}

var statusClasses = [...]string{"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass is "2xx" for 200 and so on, without building a string.
func statusClass(code int) string {
	if c := code / 100; c >= 1 && c <= 5 {
		return statusClasses[c]
	}
	return strconv.Itoa(code/100) + "xx"
}

var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 80}

// addedBuckets are finer below a few milliseconds: the broker's own share
// of a call is what its latency goal (p99 < 1 ms) is about.
var addedBuckets = []float64{.000025, .00005, .000075, .0001, .00015, .0002, .0003, .0004, .0005, .00075, .001, .0015, .002, .003, .005, .01, .025, .05, .1, .25, 1}

// NewMetrics registers the collectors (plus Go and process collectors).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_broker_requests_total",
			Help: "Requests by application and outcome (forwarded, denied, unauthenticated, rejected, rate-limited, store-error, upstream-error)."}, []string{"app", "outcome"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_broker_denied_total",
			Help: "Requests refused by the broker, by application and error code."}, []string{"app", "code"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_broker_upstream_responses_total",
			Help: "Stripe's answers to forwarded requests, by application and status class."}, []string{"app", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stripeguard_broker_request_duration_seconds",
			Help: "Time from request headers to response, by outcome.", Buckets: latencyBuckets}, []string{"outcome"}),
		upstreamDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stripeguard_broker_upstream_duration_seconds",
			Help: "Time Stripe took to answer a forwarded request.", Buckets: latencyBuckets}),
		added: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stripeguard_broker_added_seconds",
			Help: "Time the broker itself added to a forwarded request (total minus Stripe's time).", Buckets: addedBuckets}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_broker_idempotent_retries_total",
			Help: "Retries of an admitted Idempotency-Key, forwarded without charging the rate limits."}, []string{"app"}),
		realKeys: prometheus.NewCounter(prometheus.CounterOpts{Name: "stripeguard_broker_real_key_presented_total",
			Help: "Requests that carried a real Stripe key instead of a broker token (the key is in the application: rotate it)."}),
		storeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "stripeguard_broker_store_errors_total",
			Help: "Shared-store errors (the request was failed closed with 503)."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_broker_reloads_total",
			Help: "Policy and key reloads (SIGHUP) by result."}, []string{"result"}),
		apps: prometheus.NewGauge(prometheus.GaugeOpts{Name: "stripeguard_broker_apps",
			Help: "Applications in the loaded policy."}),
	}
	r.MustRegister(m.requests, m.denied, m.upstream, m.duration, m.upstreamDur, m.added, m.retries, m.realKeys,
		m.storeErrs, m.reloads, m.apps, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.byApp.Store(&map[[2]string]prometheus.Counter{})
	m.durByOut = map[string]prometheus.Observer{}
	for _, o := range outcomes {
		m.durByOut[o] = m.duration.WithLabelValues(o)
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	return m
}

// seedApps pre-creates the per-app series so dashboards see zeros.
func (m *Metrics) seedApps(p *Policy) {
	m.apps.Set(float64(len(p.Apps)))
	byApp := map[[2]string]prometheus.Counter{}
	for _, a := range p.Apps {
		for _, o := range outcomes {
			byApp[[2]string{a.Name, o}] = m.requests.WithLabelValues(a.Name, o)
		}
		m.retries.WithLabelValues(a.Name)
	}
	m.byApp.Store(&byApp)
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
