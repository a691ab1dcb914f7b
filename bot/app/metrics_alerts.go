package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cakegate/cakegate/commands"
)

// The gauges the alert rules in docs/running.md rest on, beside the ones in metrics_state.go:
// what /readyz says, per dependency, and grants whose token outlived its end.

// pastEndGrace is how late a grant's deletion may be before it counts as past its end: the
// precise expiry timer deletes within seconds, the sweep within its schedule (1m).
const pastEndGrace = 2 * time.Minute

// alertCollector reads the health checks' last outcomes and the expiry index when
// Prometheus scrapes.
type alertCollector struct {
	health *health
	src    stateSource
	clock  commands.Clock

	ready   *prometheus.Desc
	pastEnd *prometheus.Desc
}

func newAlertCollector(h *health, src stateSource, clock commands.Clock) *alertCollector {
	return &alertCollector{
		health: h, src: src, clock: clock,
		ready: prometheus.NewDesc("cakegate_dependency_ready",
			"1 if the dependency checked out at the last background check (as /readyz reports it), else 0, by dependency: database, slack, datacake.",
			[]string{"dependency"}, nil),
		pastEnd: prometheus.NewDesc("cakegate_grants_past_end",
			"Grants (active or revoking) whose end passed more than 2 minutes ago: tokens that still work although they should not.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *alertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.ready
	ch <- c.pastEnd
}

// Collect implements prometheus.Collector.
func (c *alertCollector) Collect(ch chan<- prometheus.Metric) {
	c.health.mu.Lock()
	for _, d := range healthDependencies {
		v := 1.0
		if _, bad := c.health.problems[d]; bad {
			v = 0
		}
		ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, v, d)
	}
	c.health.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	due, err := c.src.ExpiringBefore(ctx, c.clock.Now().Add(-pastEndGrace))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pastEnd, err)
		return
	}
	n := 0
	for _, r := range due {
		if r.State == commands.StateActive || r.State == commands.StateRevoking {
			n++
		}
	}
	ch <- prometheus.MustNewConstMetric(c.pastEnd, prometheus.GaugeValue, float64(n))
}
