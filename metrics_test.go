package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestMetricsStoryHTTP(t *testing.T)       { testMetricsStory(t, false) }
func TestMetricsStorySocketMode(t *testing.T) { testMetricsStory(t, true) }

// testMetricsStory plays request → approval → token DM → revoke, with a refused Datacake
// token and an expiry coming close on the way, and reads /metrics as Prometheus would.
func testMetricsStory(t *testing.T, socket bool) {
	s := startSandbox(t, sandboxOptions{socketMode: socket})
	ctx := testContext(t)

	before := waitStartupReconciled(t, ctx, s)
	before.want(t, 0, "cakegate_requests", "state", "pending")
	before.want(t, 0, "cakegate_requests_created_total")
	before.want(t, 0, "cakegate_decisions_total", "decision", "approved")
	before.want(t, 0, "cakegate_datacake_errors_total", "operation", "devices", "kind", "unauthenticated")

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
		m := scrapeMetrics(t, ctx, s.baseURL)
		m.want(t, 1, "cakegate_requests", "state", "active")
		m.want(t, 0, "cakegate_requests", "state", "pending")
		m.want(t, 0, "cakegate_grants_expiring_next_hour")
		// The grant lasts 8h: half an hour before its end it is expiring within the hour.
		s.clock.Advance(7*time.Hour + 30*time.Minute)
		m = scrapeMetrics(t, ctx, s.baseURL)
		m.want(t, 1, "cakegate_grants_expiring_next_hour")
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

	m := scrapeMetrics(t, ctx, s.baseURL)
	m.want(t, 1, "cakegate_decisions_total", "decision", "approved")
	m.want(t, 1, "cakegate_decisions_total", "decision", "revoked")
	for _, d := range []string{"denied", "cancelled", "timed_out", "expired", "failed"} {
		m.want(t, 0, "cakegate_decisions_total", "decision", d)
	}
	// playShortStory waits 90s of the sandbox's clock before approving.
	m.want(t, 1, "cakegate_decision_wait_seconds_count", "decision", "approved")
	m.want(t, 90, "cakegate_decision_wait_seconds_sum", "decision", "approved")
	m.want(t, 1, "cakegate_decision_wait_seconds_bucket", "decision", "approved", "le", "300")
	m.want(t, 0, "cakegate_decision_wait_seconds_bucket", "decision", "approved", "le", "60")

	m.want(t, 0, "cakegate_requests", "state", "active")
	m.want(t, 0, "cakegate_requests", "state", "revoking")
	m.want(t, 0, "cakegate_grants_expiring_next_hour")
	m.want(t, 1, "cakegate_requests_created_total")
	if v := m.value(t, "cakegate_outbox_depth"); v < 0 {
		t.Errorf("cakegate_outbox_depth = %v", v)
	}

	m.want(t, 1, "cakegate_datacake_call_duration_seconds_count", "operation", "create_api_user")
	m.want(t, 1, "cakegate_datacake_call_duration_seconds_count", "operation", "delete_api_user")
	if v := m.value(t, "cakegate_datacake_call_duration_seconds_sum", "operation", "create_api_user"); v <= 0 || v > 20 {
		t.Errorf("create_api_user took %vs in all, want a plausible time", v)
	}
	m.want(t, 1, "cakegate_datacake_errors_total", "operation", "devices", "kind", "unauthenticated")
	if got := m.sum("cakegate_datacake_errors_total"); got != 1 {
		t.Errorf("%v Datacake errors in all, want the 1 refused token", got)
	}

	if n := m.value(t, "cakegate_slack_call_duration_seconds_count", "method", "chat.postMessage"); n < 3 {
		// The approval message, the token DM, the revoke DM.
		t.Errorf("%v chat.postMessage calls timed, want at least 3", n)
	}
	if socket {
		if n := m.value(t, "cakegate_slack_call_duration_seconds_count", "method", "apps.connections.open"); n < 1 {
			t.Errorf("%v apps.connections.open calls timed, want the Socket Mode connection", n)
		}
	} else if n := m.value(t, "cakegate_slack_call_duration_seconds_count", "method", "response_url"); n < 3 {
		t.Errorf("%v response_url posts timed, want the answers to the command and the clicks", n)
	}
	m.want(t, 1, "cakegate_slack_errors_total", "method", "chat.update", "kind", "internal_error")
	if got := m.sum("cakegate_slack_errors_total"); got != 1 {
		t.Errorf("%v Slack errors counted, want the 1 refused update:\n%s", got, m.text)
	}

	for _, name := range []string{
		"cakegate_requests", "cakegate_requests_created_total", "cakegate_outbox_depth",
		"cakegate_grants_expiring_next_hour", "cakegate_decisions_total", "cakegate_decision_wait_seconds",
		"cakegate_datacake_call_duration_seconds", "cakegate_datacake_errors_total",
		"cakegate_slack_call_duration_seconds", "cakegate_slack_errors_total", "cakegate_build_info",
		"cakegate_panics_total",
	} {
		mustContain(t, "metrics", m.text, "# HELP "+name+" ")
	}
	m.want(t, 1, "cakegate_build_info", "version", version)
	if m.value(t, "go_goroutines") <= 0 {
		t.Error("no go_goroutines: the Go collector is missing")
	}
	mustNotContain(t, "metrics", m.text, token, sandboxDCToken)
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
	users := s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 || users[0].Token == "" {
		t.Fatalf("got API users %+v, want one with a token", users)
	}
	token := users[0].Token
	if _, err := s.dm(ctx, sandboxAlice, func(text string) bool { return strings.Contains(text, token) }); err != nil {
		t.Fatal(err)
	}
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
func waitStartupReconciled(t *testing.T, ctx context.Context, s *sandbox) scraped {
	t.Helper()
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatalf("the reconcile at start made no Datacake call: %v", err)
	}
	return scrapeMetrics(t, ctx, s.baseURL)
}

// scraped is one answer of GET /metrics.
type scraped struct {
	text   string
	series []scrapedSeries
}

type scrapedSeries struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	seriesLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrapeMetrics reads baseURL/metrics in the text format and parses every sample.
func scrapeMetrics(t *testing.T, ctx context.Context, baseURL string) scraped {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s, %s:\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	return parseMetrics(t, string(body))
}

func parseMetrics(t *testing.T, text string) scraped {
	t.Helper()
	out := scraped{text: text}
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := seriesLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		s := scrapedSeries{name: m[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out.series = append(out.series, s)
	}
	return out
}

// find returns the samples of name whose labels include the given name, value pairs.
func (m scraped) find(name string, labels ...string) []scrapedSeries {
	var out []scrapedSeries
	for _, s := range m.series {
		if s.name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				match = false
			}
		}
		if match {
			out = append(out, s)
		}
	}
	return out
}

// value returns the one sample of name with exactly these labels.
func (m scraped) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	found := m.find(name, labels...)
	found = slices.DeleteFunc(found, func(s scrapedSeries) bool { return len(s.labels) != len(labels)/2 })
	if len(found) != 1 {
		t.Fatalf("%d samples of %s%v, want 1; scraped:\n%s", len(found), name, labels, m.text)
	}
	return found[0].value
}

// want checks the value of one sample.
func (m scraped) want(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	if got := m.value(t, name, labels...); got != want {
		t.Errorf("%s%s = %v, want %v", name, fmtLabels(labels), got, want)
	}
}

// sum adds up every sample of name.
func (m scraped) sum(name string) float64 {
	var total float64
	for _, s := range m.find(name) {
		total += s.value
	}
	return total
}

func fmtLabels(labels []string) string {
	if len(labels) == 0 {
		return ""
	}
	kv := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		kv[labels[i]] = labels[i+1]
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, kv[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
