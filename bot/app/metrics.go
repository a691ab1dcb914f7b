package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cakegate/cakegate/commands"
)

// metrics is what cakegate tells Prometheus at GET /metrics. It has its own registry, so two
// apps in one process (tests, a restart in the sandbox) never share or collide on a series.
//
// Counters and histograms are fed by wrappers that main puts around the dependencies of the
// use cases (instrument_*.go), so commands, datacake and bot stay free of metrics code.
// Gauges about stored requests are read from the store at scrape time (metrics_state.go).
type metrics struct {
	reg *prometheus.Registry

	decisions      *prometheus.CounterVec
	decisionWait   *prometheus.HistogramVec
	datacakeCalls  *prometheus.HistogramVec
	datacakeErrors *prometheus.CounterVec
	slackCalls     *prometheus.HistogramVec
	slackErrors    *prometheus.CounterVec
	panics         *prometheus.CounterVec

	// transport is Options.Transport, under the Slack clients' instrumentation; nil is
	// http.DefaultTransport.
	transport http.RoundTripper
}

// The decisions counted by cakegate_decisions_total: the audit actions that end a request's
// wait (approved) or its life (the rest).
var decisionActions = []string{"approved", "denied", "cancelled", "timed_out", "revoked", "expired", "failed"}

// The decisions that end a pending request, whose wait cakegate_decision_wait_seconds times.
var pendingDecisions = []string{"approved", "denied", "cancelled", "timed_out"}

// The Datacake operations, as the datacake wrapper labels them.
const (
	opCreateAPIUser = "create_api_user"
	opDeleteAPIUser = "delete_api_user"
	opFindAPIUsers  = "find_api_users"
	opDevices       = "devices"
)

var datacakeOperations = []string{opCreateAPIUser, opDeleteAPIUser, opFindAPIUsers, opDevices}

// newMetrics registers cakegate's metrics, and the Go runtime's and the process's, on a
// new registry.
func newMetrics(installation string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cakegate_decisions_total",
			Help: "Requests that reached a decision since start, by decision: approved, denied, cancelled, timed_out (a pending request decided), revoked, expired, failed (a grant or provisioning ended).",
		}, []string{"decision"}),
		decisionWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cakegate_decision_wait_seconds",
			Help:    "Time from a request to the decision that ended its wait (approved, denied, cancelled, timed_out), in seconds.",
			Buckets: []float64{1, 10, 30, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600},
		}, []string{"decision"}),
		datacakeCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cakegate_datacake_call_duration_seconds",
			Help:    "Time a Datacake operation took, including the client's rate limiting and retries, in seconds, by operation: create_api_user, delete_api_user, find_api_users, devices.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation"}),
		datacakeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cakegate_datacake_errors_total",
			Help: "Datacake operations that failed after the client's retries, by operation and kind: unauthenticated, not_authorized, not_found, rate_limited, temporary, permanent, unknown_outcome.",
		}, []string{"operation", "kind"}),
		slackCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cakegate_slack_call_duration_seconds",
			Help:    "Time until Slack answered one HTTP call, in seconds, by Web API method (e.g. chat.postMessage; response_url for replies to a command or click).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
		slackErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cakegate_slack_errors_total",
			Help: "Slack HTTP calls that failed, by method and kind: network, http_429, http_5xx, http_4xx, or the error code of an ok:false answer (e.g. channel_not_found).",
		}, []string{"method", "kind"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cakegate_panics_total",
			Help: "Panics recovered since start, by where: http, socket_mode, work (after an acknowledgement), outbox, job (a scheduled sweep). Any is a bug; the process carried on.",
		}, []string{"where"}),
	}
	for _, where := range []string{"http", "socket_mode", "work", "outbox", "job"} {
		m.panics.WithLabelValues(where)
	}
	// Series that exist from the start, at zero, so rates and alerts need no absent().
	for _, d := range decisionActions {
		m.decisions.WithLabelValues(d)
	}
	for _, d := range pendingDecisions {
		m.decisionWait.WithLabelValues(d)
	}
	for _, op := range datacakeOperations {
		m.datacakeCalls.WithLabelValues(op)
		for _, kind := range datacakeErrorKinds {
			m.datacakeErrors.WithLabelValues(op, kind)
		}
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "cakegate_build_info",
		Help:        "Always 1; its labels are the running cakegate's version and its database's installation id.",
		ConstLabels: prometheus.Labels{"version": Version(), "installation": installation},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(
		m.decisions, m.decisionWait,
		m.datacakeCalls, m.datacakeErrors,
		m.slackCalls, m.slackErrors,
		m.panics,
		buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// countPanic counts a recovered panic; where is one of the bot's Panic… names or "job".
func (m *metrics) countPanic(where string) { m.panics.WithLabelValues(where).Inc() }

// handler serves the registry in the Prometheus text (or OpenMetrics) format. A failing
// read of the store is logged and leaves its series out; the rest is still served.
func (m *metrics) handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
		Timeout:       10 * time.Second,
	})
}

// observeChange counts the decisions among a stored change's audit events. r is the
// request as stored with the change.
func (m *metrics) observeChange(r *commands.Request, c commands.Change) {
	for _, e := range c.Audit {
		if !slices.Contains(decisionActions, e.Action) {
			continue
		}
		m.decisions.WithLabelValues(e.Action).Inc()
		if r == nil || r.CreatedAt.IsZero() || !slices.Contains(pendingDecisions, e.Action) {
			continue
		}
		at := r.DecidedAt
		if at.IsZero() {
			at = e.At
		}
		if wait := at.Sub(r.CreatedAt); wait >= 0 {
			m.decisionWait.WithLabelValues(e.Action).Observe(wait.Seconds())
		}
	}
}

// promLogger passes promhttp's complaints to the app's log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Warn("metrics: " + fmt.Sprint(v...)) }
