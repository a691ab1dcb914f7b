package sandbox

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestMetricsStoryHTTP(t *testing.T)       { testMetricsStory(t, false) }
func TestMetricsStorySocketMode(t *testing.T) { testMetricsStory(t, true) }

// testMetricsStory plays request → approval → reveal → revoke, with a refused Datacake
// token and an expiry coming close on the way, and reads /metrics as Prometheus would.
func testMetricsStory(t *testing.T, socket bool) {
	s := startSandbox(t, sandboxOptions{socketMode: socket})
	ctx := testContext(t)

	before := waitStartupReconciled(t, ctx, s)
	before.Want(t, 0, "cakegate_requests", "state", "pending")
	before.Want(t, 0, "cakegate_requests_created_total")
	before.Want(t, 0, "cakegate_decisions_total", "decision", "approved")
	before.Want(t, 0, "cakegate_datacake_errors_total", "operation", "devices", "kind", "unauthenticated")

	// Datacake refuses cakegate's token once: alice is told, the metric counts it.
	s.datacake.FailNext(1, http.StatusUnauthorized)
	answer, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="read the boiler"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "answer while Datacake refuses the token", answer, "could not list the workspace's devices")

	token := playShortStory(t, ctx, s, func(phase string) {
		if phase == "approving" {
			// Slack refuses the first update of the approval message; the outbox retries.
			s.slack.FailNext("chat.update", 1, "internal_error")
			return
		}
		m := apptest.Scrape(t, ctx, s.baseURL)
		m.Want(t, 1, "cakegate_requests", "state", "active")
		m.Want(t, 0, "cakegate_requests", "state", "pending")
		m.Want(t, 0, "cakegate_grants_expiring_next_hour")
		// The grant lasts 8h: half an hour before its end it is expiring within the hour.
		s.clock.Advance(7*time.Hour + 30*time.Minute)
		m = apptest.Scrape(t, ctx, s.baseURL)
		m.Want(t, 1, "cakegate_grants_expiring_next_hour")
	})

	// The refused update was made by an outbox run; the sandbox's own run waits for that
	// one to end, so its count is in.
	err = s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		return slices.ContainsFunc(srv.CallsTo("chat.update"), func(c slacktest.Call) bool { return c.Error == "internal_error" })
	})
	if err != nil {
		t.Fatalf("the update did not fail: %v", err)
	}
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}

	m := apptest.Scrape(t, ctx, s.baseURL)
	m.Want(t, 1, "cakegate_decisions_total", "decision", "approved")
	m.Want(t, 1, "cakegate_decisions_total", "decision", "revoked")
	for _, d := range []string{"denied", "cancelled", "timed_out", "expired", "failed"} {
		m.Want(t, 0, "cakegate_decisions_total", "decision", d)
	}
	// playShortStory waits 90s of the sandbox's clock before approving.
	m.Want(t, 1, "cakegate_decision_wait_seconds_count", "decision", "approved")
	m.Want(t, 90, "cakegate_decision_wait_seconds_sum", "decision", "approved")
	m.Want(t, 1, "cakegate_decision_wait_seconds_bucket", "decision", "approved", "le", "300")
	m.Want(t, 0, "cakegate_decision_wait_seconds_bucket", "decision", "approved", "le", "60")

	m.Want(t, 0, "cakegate_requests", "state", "active")
	m.Want(t, 0, "cakegate_requests", "state", "revoking")
	m.Want(t, 0, "cakegate_grants_expiring_next_hour")
	m.Want(t, 1, "cakegate_requests_created_total")
	if v := m.Value(t, "cakegate_outbox_depth"); v < 0 {
		t.Errorf("cakegate_outbox_depth = %v", v)
	}

	m.Want(t, 1, "cakegate_datacake_call_duration_seconds_count", "operation", "create_api_user")
	m.Want(t, 1, "cakegate_datacake_call_duration_seconds_count", "operation", "delete_api_user")
	if v := m.Value(t, "cakegate_datacake_call_duration_seconds_sum", "operation", "create_api_user"); v <= 0 || v > 20 {
		t.Errorf("create_api_user took %vs in all, want a plausible time", v)
	}
	m.Want(t, 1, "cakegate_datacake_errors_total", "operation", "devices", "kind", "unauthenticated")
	if got := m.Sum("cakegate_datacake_errors_total"); got != 1 {
		t.Errorf("%v Datacake errors in all, want the 1 refused token", got)
	}

	if n := m.Value(t, "cakegate_slack_call_duration_seconds_count", "method", "chat.postMessage"); n < 3 {
		// The approval message, the token DM, the revoke DM.
		t.Errorf("%v chat.postMessage calls timed, want at least 3", n)
	}
	if socket {
		if n := m.Value(t, "cakegate_slack_call_duration_seconds_count", "method", "apps.connections.open"); n < 1 {
			t.Errorf("%v apps.connections.open calls timed, want the Socket Mode connection", n)
		}
	} else if n := m.Value(t, "cakegate_slack_call_duration_seconds_count", "method", "response_url"); n < 3 {
		t.Errorf("%v response_url posts timed, want the answers to the command and the clicks", n)
	}
	m.Want(t, 1, "cakegate_slack_errors_total", "method", "chat.update", "kind", "internal_error")
	if got := m.Sum("cakegate_slack_errors_total"); got != 1 {
		t.Errorf("%v Slack errors counted, want the 1 refused update:\n%s", got, m.Text)
	}

	for _, name := range []string{
		"cakegate_requests", "cakegate_requests_created_total", "cakegate_outbox_depth",
		"cakegate_grants_expiring_next_hour", "cakegate_decisions_total", "cakegate_decision_wait_seconds",
		"cakegate_datacake_call_duration_seconds", "cakegate_datacake_errors_total",
		"cakegate_slack_call_duration_seconds", "cakegate_slack_errors_total", "cakegate_build_info",
		"cakegate_panics_total",
	} {
		mustContain(t, "metrics", m.Text, "# HELP "+name+" ")
	}
	installation, _, err := s.app.Store().Installation()
	if err != nil {
		t.Fatal(err)
	}
	m.Want(t, 1, "cakegate_build_info", "version", app.Version(), "installation", installation)
	if m.Value(t, "go_goroutines") <= 0 {
		t.Error("no go_goroutines: the Go collector is missing")
	}
	mustNotContain(t, "metrics", m.Text, token, sandboxDCToken)
}

// playShortStory has alice ask for the viewer role on one device, Ann approve it 90s later,
// alice receive her token and then revoke it herself. hook runs at "active", once the token
// is delivered, and at "approving", just before Ann's click. It returns the token.
func playShortStory(t *testing.T, ctx context.Context, s *sandbox, hook func(phase string)) string {
	t.Helper()
	answer, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 for=8h reason="read the boiler"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's confirmation", answer, "is waiting for approval")
	id := regexp.MustCompile(`R\d+`).FindString(answer)
	msg, err := s.approvalMessage(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(90 * time.Second)
	if hook != nil {
		hook("approving")
	}
	answer, err = s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "approval", answer, "You approved "+id)
	if _, err := s.reveal(ctx, sandboxAlice, id); err != nil {
		t.Fatal(err)
	}
	users := s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 || users[0].Token == "" {
		t.Fatalf("got API users %+v, want one with a token", users)
	}
	token := users[0].Token
	if hook != nil {
		hook("active")
	}
	msg, err = s.approvalMessage(ctx, id, func(t string) bool { return strings.Contains(t, "[Revoke]") })
	if err != nil {
		t.Fatal(err)
	}
	answer, err = s.click(ctx, sandboxAlice, msg.Channel, msg.TS, "cakegate_revoke")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "revoke", answer, id+" is revoked")
	if _, err := s.dm(ctx, sandboxAlice, func(text string) bool { return strings.Contains(text, "revoked") }); err != nil {
		t.Fatal(err)
	}
	return token
}

// waitStartupReconciled waits until the reconcile cakegate runs at start has listed the API
// users, so that a Datacake fault a test injects next meets the test's own call. It
// returns a scrape taken after it.
func waitStartupReconciled(t *testing.T, ctx context.Context, s *sandbox) apptest.Scraped {
	t.Helper()
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatalf("the reconcile at start made no Datacake call: %v", err)
	}
	return apptest.Scrape(t, ctx, s.baseURL)
}
