package guard

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

// Outcomes of one request (label of the request counters and histogram).
const (
	OutForwarded   = "forwarded"    // verified, forwarded, upstream answered (any status)
	OutDuplicate   = "duplicate"    // already delivered: 200 without forwarding
	OutInFlight    = "in-flight"    // concurrent duplicate: 409
	OutRejected    = "rejected"     // 4xx before forwarding
	OutUpstreamErr = "upstream-err" // upstream unreachable / timed out: 502
	OutStoreErr    = "store-err"    // dedupe store unavailable: 503
)

// Metrics are the guard's Prometheus collectors, on their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	duplicates    prometheus.Counter
	upstreamErrs  *prometheus.CounterVec
	storeErrs     prometheus.Counter
	reloads       *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	upstreamDur   prometheus.Histogram
	secretsGauge  prometheus.Gauge
	tlsNotAfter   prometheus.Gauge
	tlsReloads    *prometheus.CounterVec
	reqByOutcome  map[string]prometheus.Counter
	durByOutcome  map[string]prometheus.Observer
	rejByReason   map[string]prometheus.Counter
	upErrTranspor prometheus.Counter
	upErrStatus   prometheus.Counter
}

// NewMetrics registers the collectors (plus Go and process collectors).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_guard_requests_total",
			Help: "Webhook requests by outcome (forwarded, duplicate, in-flight, rejected, upstream-err, store-err)."}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_guard_rejected_total",
			Help: "Requests rejected before forwarding, by reason."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "stripeguard_guard_duplicates_total",
			Help: "Verified events already delivered, answered 200 without forwarding."}),
		upstreamErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_guard_upstream_errors_total",
			Help: "Upstream failures: transport (unreachable, timeout) or status (non-2xx answer)."}, []string{"kind"}),
		storeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "stripeguard_guard_store_errors_total",
			Help: "Dedupe store errors (the request was failed closed with 503)."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_guard_reloads_total",
			Help: "Secret reloads (SIGHUP) by result."}, []string{"result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stripeguard_guard_request_duration_seconds",
			Help:    "Time from request headers to response, by outcome.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"outcome"}),
		upstreamDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stripeguard_guard_upstream_duration_seconds",
			Help:    "Time the upstream took to answer a forwarded request.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		secretsGauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "stripeguard_guard_secrets",
			Help: "Number of webhook secrets currently accepted."}),
		tlsNotAfter: prometheus.NewGauge(prometheus.GaugeOpts{Name: "stripeguard_guard_tls_cert_not_after_seconds",
			Help: "Expiry (Unix time) of the TLS certificate in use; 0 when the guard does not terminate TLS."}),
		tlsReloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stripeguard_guard_tls_reloads_total",
			Help: "TLS certificate reloads (SIGHUP) by result."}, []string{"result"}),
	}
	r.MustRegister(m.requests, m.rejected, m.duplicates, m.upstreamErrs, m.storeErrs, m.reloads, m.duration, m.upstreamDur, m.secretsGauge,
		m.tlsNotAfter, m.tlsReloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Pre-create every series so dashboards see zeros and the hot path does
	// no label lookups.
	m.reqByOutcome = map[string]prometheus.Counter{}
	m.durByOutcome = map[string]prometheus.Observer{}
	for _, o := range []string{OutForwarded, OutDuplicate, OutInFlight, OutRejected, OutUpstreamErr, OutStoreErr} {
		m.reqByOutcome[o] = m.requests.WithLabelValues(o)
		m.durByOutcome[o] = m.duration.WithLabelValues(o)
	}
	m.rejByReason = map[string]prometheus.Counter{}
	for _, r := range allReasons() {
		m.rejByReason[r] = m.rejected.WithLabelValues(r)
	}
	m.upErrTranspor = m.upstreamErrs.WithLabelValues("transport")
	m.upErrStatus = m.upstreamErrs.WithLabelValues("status")
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	m.tlsReloads.WithLabelValues("ok")
	m.tlsReloads.WithLabelValues("error")
	return m
}

// watchStore exports stripeguard_guard_store_up, asked of the store at
// each scrape (like an exporter's `up`), so "store down" is visible and
// alertable even when no delivery is failing because none is arriving.
func (m *Metrics) watchStore(ping func(context.Context) error, timeout time.Duration) {
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "stripeguard_guard_store_up",
		Help: "1 when the dedupe store answers a ping at scrape time, 0 when it does not."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if ping(ctx) != nil {
				return 0
			}
			return 1
		})
	// Metrics shared by several guards (tests) keep the first store's.
	_ = m.Registry.Register(up)
}

// Guard-level rejection reasons, in addition to webhooksig's.
const (
	ReasonMethod       = "method-not-allowed"
	ReasonSource       = "source-not-allowed"
	ReasonBodyTooLarge = "body-too-large"
	ReasonBodyRead     = "body-read-error"
	ReasonNotEvent     = "invalid-event"
)

func allReasons() []string {
	out := []string{ReasonMethod, ReasonSource, ReasonBodyTooLarge, ReasonBodyRead, ReasonNotEvent}
	for _, r := range webhooksig.Reasons {
		out = append(out, string(r))
	}
	return out
}

func (m *Metrics) reject(reason string) {
	c, ok := m.rejByReason[reason]
	if !ok {
		c = m.rejected.WithLabelValues(reason)
	}
	c.Inc()
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
