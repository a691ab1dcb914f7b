package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cakegate/cakegate/commands"
)

// accessCollector reports the workspace's API users by class, as the last full list
// (reconcile's, on the leader) classed them: the README's example alert on unmanaged API
// users rests on it. Before the first list of this run it reports nothing.
type accessCollector struct {
	svc   *commands.Service
	clock commands.Clock

	users  *prometheus.Desc
	oldest *prometheus.Desc
}

func newAccessCollector(svc *commands.Service, clock commands.Clock) *accessCollector {
	return &accessCollector{
		svc: svc, clock: clock,
		users: prometheus.NewDesc("cakegate_api_users",
			"API users of the Datacake workspace at the last reconcile, by class: grant (made by cakegate for a grant), adopted (given an owner and an end in an access review), unmanaged (made by hand or by another installation; their tokens work until someone deletes them).",
			[]string{"class"}, nil),
		oldest: prometheus.NewDesc("cakegate_api_users_unmanaged_oldest_age_seconds",
			"Age of the oldest unmanaged API user at the last reconcile, by its creation date in Datacake; 0 when there is none.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *accessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.users
	ch <- c.oldest
}

// Collect implements prometheus.Collector.
func (c *accessCollector) Collect(ch chan<- prometheus.Metric) {
	counts, ok := c.svc.AccessCounts()
	if !ok {
		return
	}
	for class, n := range map[commands.APIUserClass]int{commands.ClassGrant: counts.Grants, commands.ClassAdopted: counts.Adopted, commands.ClassUnmanaged: counts.Unmanaged} {
		ch <- prometheus.MustNewConstMetric(c.users, prometheus.GaugeValue, float64(n), string(class))
	}
	age := 0.0
	if !counts.OldestUnmanaged.IsZero() {
		age = max(c.clock.Now().Sub(counts.OldestUnmanaged).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
