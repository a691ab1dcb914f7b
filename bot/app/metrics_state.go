package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// stateSource is what the scrape-time gauges read: *state.Store. Both reads walk indexes,
// so a scrape costs what the live requests cost, not what the whole history does.
type stateSource interface {
	Stats(ctx context.Context) (state.Stats, error)
	ExpiringBefore(ctx context.Context, t time.Time) ([]*commands.Request, error)
}

// liveStates are the states a request can leave, the ones state.Stats counts.
var liveStates = []commands.State{commands.StatePending, commands.StateApproved, commands.StateProvisioning, commands.StateActive, commands.StateRevoking}

// expiringWindow is how far ahead cakegate_grants_expiring_next_hour looks.
const expiringWindow = time.Hour

// stateCollector reads the store when Prometheus scrapes, so the gauges are the database's
// truth at that moment, also right after a restart.
type stateCollector struct {
	src   stateSource
	clock commands.Clock

	requests *prometheus.Desc
	created  *prometheus.Desc
	outbox   *prometheus.Desc
	expiring *prometheus.Desc
}

func newStateCollector(src stateSource, clock commands.Clock) *stateCollector {
	return &stateCollector{
		src:   src,
		clock: clock,
		requests: prometheus.NewDesc("cakegate_requests",
			"Requests now in each state a request can leave: pending, provisioning, active, revoking.",
			[]string{"state"}, nil),
		created: prometheus.NewDesc("cakegate_requests_created_total",
			"Requests ever made, as stored: the last request id handed out.",
			nil, nil),
		outbox: prometheus.NewDesc("cakegate_outbox_depth",
			"Notifications waiting in the outbox for delivery to Slack.",
			nil, nil),
		expiring: prometheus.NewDesc("cakegate_grants_expiring_next_hour",
			"Active grants whose token expires within the next hour (or is overdue for the expiry sweep).",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.requests
	ch <- c.created
	ch <- c.outbox
	ch <- c.expiring
}

// Collect implements prometheus.Collector. A failed read becomes an invalid metric, which
// the handler logs while still serving everything else.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	st, err := c.src.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.requests, err)
	} else {
		for _, s := range liveStates {
			ch <- prometheus.MustNewConstMetric(c.requests, prometheus.GaugeValue, float64(st.Live[s]), string(s))
		}
		ch <- prometheus.MustNewConstMetric(c.created, prometheus.CounterValue, float64(st.Requests))
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(st.Outbox))
	}

	due, err := c.src.ExpiringBefore(ctx, c.clock.Now().Add(expiringWindow))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.expiring, err)
		return
	}
	n := 0
	for _, r := range due {
		if r.State == commands.StateActive {
			n++
		}
	}
	ch <- prometheus.MustNewConstMetric(c.expiring, prometheus.GaugeValue, float64(n))
}
