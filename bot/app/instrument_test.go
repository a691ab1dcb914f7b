package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/state"
)

// scrapeRegistry reads m's handler as Prometheus would, without a server.
func scrapeRegistry(t *testing.T, m *metrics) apptest.Scraped {
	t.Helper()
	rec := httptest.NewRecorder()
	m.handler(slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", rec.Code, rec.Body)
	}
	return apptest.Parse(t, rec.Body.String())
}

func TestDatacakeErrorKind(t *testing.T) {
	perm := func(cause error) error { return &datacake.PermanentError{Op: "NewApiUser", Err: cause} }
	tests := []struct {
		err  error
		want string
	}{
		{perm(datacake.ErrUnauthenticated), "unauthenticated"},
		{perm(datacake.ErrNotAuthorized), "not_authorized"},
		{perm(datacake.ErrNotFound), "not_found"},
		{perm(errors.New("invalid document")), "permanent"},
		{&datacake.RateLimitedError{Op: "ApiUsers", RetryAfter: time.Minute}, "rate_limited"},
		{&datacake.TemporaryError{Op: "ApiUsers", Status: 503}, "temporary"},
		{&datacake.UnknownOutcomeError{Name: "cakegate-r1-u0alice", Err: &datacake.TemporaryError{Op: "NewApiUser"}}, "unknown_outcome"},
		{fmt.Errorf("datacake ApiUsers: wait for the request rate limit: %w", context.DeadlineExceeded), "temporary"},
		{errors.New("something else"), "permanent"},
	}
	for _, tt := range tests {
		// The adapter's translation keeps the cause reachable.
		for _, err := range []error{tt.err, translate(tt.err)} {
			if got := datacakeErrorKind(err); got != tt.want {
				t.Errorf("datacakeErrorKind(%v) = %q, want %q", err, got, tt.want)
			}
		}
	}
}

// fakeDatacake answers every operation with err.
type fakeDatacake struct{ err error }

func (f fakeDatacake) CreateAPIUser(context.Context, commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	return commands.APIUser{}, "", f.err
}
func (f fakeDatacake) DeleteAPIUser(context.Context, string) error { return f.err }
func (f fakeDatacake) FindAPIUsers(context.Context, string, string) ([]commands.APIUser, error) {
	return nil, f.err
}
func (f fakeDatacake) Devices(context.Context, string) ([]commands.Device, error) {
	return nil, f.err
}
func (f fakeDatacake) FindDevices(context.Context, string, []string) ([]commands.Device, error) {
	return nil, f.err
}
func (f fakeDatacake) SearchDevices(context.Context, string, commands.DeviceSearch) ([]commands.Device, error) {
	return nil, f.err
}
func (f fakeDatacake) DeviceTags(context.Context, string) ([]string, error) { return nil, f.err }

func TestInstrumentedDatacake(t *testing.T) {
	m := newMetrics("")
	ctx := context.Background()
	ok := instrumentedDatacake{next: fakeDatacake{}, m: m}
	failing := instrumentedDatacake{next: fakeDatacake{err: translate(&datacake.PermanentError{Err: datacake.ErrNotFound})}, m: m}
	ok.CreateAPIUser(ctx, commands.APIUserSpec{})
	ok.FindAPIUsers(ctx, "ws", "cakegate-")
	ok.Devices(ctx, "ws")
	failing.DeleteAPIUser(ctx, "u1")
	failing.Devices(ctx, "ws")

	got := scrapeRegistry(t, m)
	for op, n := range map[string]float64{"create_api_user": 1, "delete_api_user": 1, "find_api_users": 1, "devices": 2} {
		got.Want(t, n, "cakegate_datacake_call_duration_seconds_count", "operation", op)
	}
	got.Want(t, 1, "cakegate_datacake_errors_total", "operation", "delete_api_user", "kind", "not_found")
	got.Want(t, 1, "cakegate_datacake_errors_total", "operation", "devices", "kind", "not_found")
	if n := got.Sum("cakegate_datacake_errors_total"); n != 2 {
		t.Errorf("%v errors counted, want 2", n)
	}
}

// TestInstrumentedStore: decisions are counted from what a write stored, and only when it
// was stored.
func TestInstrumentedStore(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "cakegate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := newMetrics("")
	store := instrumentedStore{Store: st, m: m}
	ctx := context.Background()
	created := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

	newRequest := func() *commands.Request {
		t.Helper()
		r := &commands.Request{Requester: "U0ALICE", Role: "viewer", State: commands.StatePending, CreatedAt: created, UpdatedAt: created, ApprovalsNeeded: 1}
		if err := store.Create(ctx, r, commands.Change{Audit: []commands.AuditEvent{{At: created, Actor: "U0ALICE", Action: "requested", To: commands.StatePending}}}, commands.CreateRules{}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	decide := func(id commands.RequestID, to commands.State, action string, after time.Duration, fail error) error {
		_, err := store.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
			from := r.State
			r.State, r.DecidedAt = to, created.Add(after)
			return commands.Change{Audit: []commands.AuditEvent{{At: created.Add(after), Actor: "U0ANN", Action: action, From: from, To: to}}}, fail
		})
		return err
	}

	refused := errors.New("already decided")
	r1, r2, r3 := newRequest(), newRequest(), newRequest()
	if err := decide(r1.ID, commands.StateDenied, "denied", 10*time.Minute, refused); !errors.Is(err, refused) {
		t.Fatalf("refused update: got %v", err)
	}
	for _, err := range []error{
		decide(r1.ID, commands.StateDenied, "denied", 10*time.Minute, nil),
		decide(r2.ID, commands.StateTimedOut, "timed_out", 48*time.Hour, nil),
		decide(r3.ID, commands.StatePending, "approval", time.Minute, nil), // one of two: no decision
		decide(r3.ID, commands.StateCancelled, "cancelled", 30*time.Second, nil),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	got := scrapeRegistry(t, m)
	got.Want(t, 1, "cakegate_decisions_total", "decision", "denied")
	got.Want(t, 1, "cakegate_decisions_total", "decision", "timed_out")
	got.Want(t, 1, "cakegate_decisions_total", "decision", "cancelled")
	got.Want(t, 0, "cakegate_decisions_total", "decision", "approved")
	got.Want(t, 600, "cakegate_decision_wait_seconds_sum", "decision", "denied")
	got.Want(t, 48*3600, "cakegate_decision_wait_seconds_sum", "decision", "timed_out")
	got.Want(t, 30, "cakegate_decision_wait_seconds_sum", "decision", "cancelled")
	got.Want(t, 1, "cakegate_decision_wait_seconds_count", "decision", "denied")
}

// TestSlackTransport: slack-go still reads every answer the transport looked into, and the
// failures are counted by method and kind.
func TestSlackTransport(t *testing.T) {
	big := strings.Repeat("x", maxSlackPeek)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch r.Form.Get("channel") {
		case "C0GONE":
			io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		case "C0BUSY":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		case "C0DOWN":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html>down</html>")
		case "C0BIG":
			// Too large to look into: passed on untouched.
			fmt.Fprintf(w, `{"ok":false,"error":"msg_too_long","padding":%q}`, big)
		default:
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, r.Form.Get("channel"))
		}
	}))
	defer srv.Close()
	m := newMetrics("")
	apiURL := srv.URL + "/api/"
	api := slack.New("xoxb-test", slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(m.slackHTTPClient(apiURL)))
	ctx := context.Background()

	channel, ts, err := api.PostMessageContext(ctx, "C0OK", slack.MsgOptionText("hi", false))
	if err != nil || channel != "C0OK" || ts != "1700000000.000100" {
		t.Fatalf("ok answer: got %q %q %v", channel, ts, err)
	}
	for ch, want := range map[string]string{"C0GONE": "channel_not_found", "C0BIG": "msg_too_long", "C0DOWN": "503"} {
		if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("hi", false)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want slack-go's error %q", ch, err, want)
		}
	}
	var limited *slack.RateLimitedError
	if _, _, err := api.PostMessageContext(ctx, "C0BUSY", slack.MsgOptionText("hi", false)); !errors.As(err, &limited) {
		t.Errorf("C0BUSY: got %v, want a *slack.RateLimitedError", err)
	}
	srv.Close()
	if _, _, err := api.PostMessageContext(ctx, "C0OK", slack.MsgOptionText("hi", false)); err == nil {
		t.Error("a closed server answered")
	}

	got := scrapeRegistry(t, m)
	got.Want(t, 6, "cakegate_slack_call_duration_seconds_count", "method", "chat.postMessage")
	got.Want(t, 1, "cakegate_slack_errors_total", "method", "chat.postMessage", "kind", "channel_not_found")
	got.Want(t, 1, "cakegate_slack_errors_total", "method", "chat.postMessage", "kind", "http_429")
	got.Want(t, 1, "cakegate_slack_errors_total", "method", "chat.postMessage", "kind", "http_5xx")
	got.Want(t, 1, "cakegate_slack_errors_total", "method", "chat.postMessage", "kind", "network")
	if n := got.Sum("cakegate_slack_errors_total"); n != 4 {
		t.Errorf("%v errors counted, want 4 (the large answer is not looked into)", n)
	}
}

func TestSlackAPIMethod(t *testing.T) {
	tests := []struct {
		apiURL, url, want string
	}{
		{"", "https://slack.com/api/chat.postMessage", "chat.postMessage"},
		{"https://slack.com/api/", "https://slack.com/api/apps.connections.open?x=1", "apps.connections.open"},
		{"http://127.0.0.1:1234/slack/api/", "http://127.0.0.1:1234/slack/api/users.info", "users.info"},
		{"http://127.0.0.1:1234/slack/api", "http://127.0.0.1:1234/slack/api/users.info", "users.info"},
		{"", "https://hooks.slack.com/actions/T0/123/abc", "other"},
		{"", "https://slack.com/api/chat.post%20Message", "other"},
		{"", "https://slack.com/api/" + strings.Repeat("a", 65), "other"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodPost, tt.url, nil)
		if got := slackAPIMethod(tt.apiURL)(req); got != tt.want {
			t.Errorf("slackAPIMethod(%q)(%s) = %q, want %q", tt.apiURL, tt.url, got, tt.want)
		}
	}
}
