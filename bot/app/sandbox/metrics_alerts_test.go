package sandbox

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestAlertMetrics: the gauges the alert rules in docs/running.md use follow what they name:
// each dependency's readiness, and a grant whose end has passed while its token still works.
func TestAlertMetrics(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	m := apptest.Scrape(t, ctx, s.baseURL)
	for _, d := range []string{"database", "slack", "datacake"} {
		m.Want(t, 1, "cakegate_dependency_ready", "dependency", d)
	}
	m.Want(t, 0, "cakegate_grants_past_end")

	approveR1(t, ctx, s, "8h")
	// The clock passes the grant's end and no sweep runs: the token outlives its end.
	s.clock.Advance(8*time.Hour + 5*time.Minute)
	apptest.Scrape(t, ctx, s.baseURL).Want(t, 1, "cakegate_grants_past_end")
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	apptest.Scrape(t, ctx, s.baseURL).Want(t, 0, "cakegate_grants_past_end")
}
