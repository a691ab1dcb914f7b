package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// startupWorld is a Slack, a Datacake and a policy for cakegate to start against.
type startupWorld struct {
	slack    *slacktest.Server
	datacake *datacaketest.Server
	dir      string
	policy   string
}

func newStartupWorld(t *testing.T) *startupWorld {
	t.Helper()
	w := &startupWorld{slack: slacktest.New(), datacake: datacaketest.NewServer(t), dir: t.TempDir()}
	w.slack.Start()
	t.Cleanup(w.slack.Close)
	w.datacake.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	w.datacake.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})
	w.policy = filepath.Join(w.dir, "cakegate.yaml")
	if err := os.WriteFile(w.policy, []byte(sandboxPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// env is an HTTP-mode environment that works, with change applied.
func (w *startupWorld) env(change map[string]string) map[string]string {
	env := map[string]string{
		"SLACK_BOT_TOKEN": slacktest.DefaultBotToken, "SLACK_SIGNING_SECRET": sandboxSecret,
		"SLACK_API_URL": w.slack.URL(), "DATACAKE_TOKEN": sandboxDCToken, "DATACAKE_API_URL": w.datacake.URL(),
		"CAKEGATE_CONFIG": w.policy, "CAKEGATE_DB": filepath.Join(w.dir, "cakegate.db"), "CAKEGATE_ADDR": "127.0.0.1:0",
	}
	for k, v := range change {
		env[k] = v
	}
	return env
}

// TestServeStopsOnARefusedToken: a token that Slack or Datacake refuses stops serve at
// start, in both modes, with one line naming the setting to fix and without the token.
func TestServeStopsOnARefusedToken(t *testing.T) {
	w := newStartupWorld(t)
	tokenFile := filepath.Join(w.dir, "datacake-token")
	if err := os.WriteFile(tokenFile, []byte("dc-wrong-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change map[string]string
		want   string
		secret string
	}{
		{"SlackHTTPMode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-wrong"}, "SLACK_BOT_TOKEN is refused by Slack (invalid_auth)", "xoxb-wrong"},
		{"SlackSocketMode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_APP_TOKEN": slacktest.DefaultAppToken}, "SLACK_BOT_TOKEN is refused by Slack (invalid_auth)", "xoxb-wrong"},
		{"Datacake", map[string]string{"DATACAKE_TOKEN": "dc-wrong"}, "DATACAKE_TOKEN is refused by Datacake (HTTP 401)", "dc-wrong"},
		{"DatacakeFile", map[string]string{"DATACAKE_TOKEN": "", "DATACAKE_TOKEN_FILE": tokenFile}, "DATACAKE_TOKEN_FILE (" + tokenFile + ") is refused by Datacake", "dc-wrong-from-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serveCakegate(t, w.env(tt.change))
			if got.code != 2 {
				t.Fatalf("exit %d, want 2 (a refused token is a setting to fix):\n%s", got.code, got.stderr)
			}
			var lines []string
			for _, l := range strings.Split(got.stderr, "\n") {
				if strings.Contains(l, tt.want) {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("want one line saying %q, got:\n%s", tt.want, got.stderr)
			}
			if strings.Contains(got.stderr, tt.secret) {
				t.Fatalf("the output shows the token:\n%s", got.stderr)
			}
		})
	}
}

// readyz asks a's /readyz and returns the status and body.
func readyz(a *app.App) (int, string) {
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// runApp builds cakegate from env with opts and runs it until the test ends.
func runApp(t *testing.T, env map[string]string, log io.Writer, opts app.Options) (*app.App, <-chan error) {
	t.Helper()
	cfg, err := app.LoadConfig(apptest.EnvOf(env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.NewLogger(cfg, log), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return a, done
}

// TestReadyzRetriesSlackAtStart: Slack failing at start is no reason to stop; cakegate
// retries with backoff, /readyz names Slack as not ready meanwhile (and only Slack), and
// cakegate becomes ready once Slack answers. /healthz stays alive throughout.
func TestReadyzRetriesSlackAtStart(t *testing.T) {
	ctx := testContext(t)
	w := newStartupWorld(t)
	w.slack.Fail5xxNext("auth.test", 3)
	var logs apptest.SyncBuffer
	a, done := runApp(t, w.env(nil), &logs, app.Options{
		HealthInterval: time.Hour, HealthRetryMin: time.Millisecond, HealthRetryMax: time.Millisecond,
	})
	// The second call means the first one's outcome is recorded.
	if err := w.slack.WaitFor(ctx, func(s *slacktest.Server) bool { return len(s.CallsTo("auth.test")) >= 2 }); err != nil {
		t.Fatal(err)
	}
	code, body := readyz(a)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "slack: Slack at "+w.slack.URL()+" did not answer") {
		t.Fatalf("readyz while Slack fails: %d %q", code, body)
	}
	if strings.Contains(body, "datacake") || strings.Contains(body, "database") {
		t.Fatalf("readyz names more than Slack: %q", body)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("healthz while Slack fails: %d", rec.Code)
	}
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("cakegate stopped: %v", err)
	case <-ctx.Done():
		t.Fatalf("not ready after Slack recovered: %v", a.Readiness())
	}
	if code, body := readyz(a); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("readyz after Slack recovered: %d %q", code, body)
	}
	if n := len(w.slack.CallsTo("auth.test")); n != 4 {
		t.Fatalf("auth.test called %d times, want 4 (three failures, one success)", n)
	}
	if n := strings.Count(logs.String(), `level=WARN msg="not ready" dependency=slack`); n != 1 {
		t.Fatalf("want one WARN for Slack not ready (one per change), got %d:\n%s", n, logs.String())
	}
}

// TestReadyzNamesAnUnreachableDatacake: with Datacake unreachable, cakegate runs but is not
// ready, and says why.
func TestReadyzNamesAnUnreachableDatacake(t *testing.T) {
	ctx := testContext(t)
	w := newStartupWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/graphql/"
	ln.Close()
	var logs signalWriter
	logs.want, logs.seen = "dependency=datacake", make(chan struct{})
	seen := logs.seen
	a, done := runApp(t, w.env(map[string]string{"DATACAKE_API_URL": closed}), &logs, app.Options{
		HealthInterval: time.Hour, HealthRetryMin: time.Hour, HealthRetryMax: time.Hour,
		DatacakeSleep: func(context.Context, time.Duration) error { return nil },
	})
	select {
	case <-seen:
	case err := <-done:
		t.Fatalf("cakegate stopped: %v", err)
	case <-ctx.Done():
		t.Fatalf("no log line about Datacake:\n%s", logs.String())
	}
	code, body := readyz(a)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready:\ndatacake: Datacake at "+closed+" does not answer") {
		t.Fatalf("readyz with Datacake unreachable: %d %q", code, body)
	}
	if strings.Contains(body, "slack") {
		t.Fatalf("readyz blames Slack too: %q", body)
	}
}

// TestServeBinaryStopsOnARefusedToken: as an operator runs it, `cakegate` with a wrong bot
// token exits 2 with one line that names SLACK_BOT_TOKEN, and never says it is ready.
func TestServeBinaryStopsOnARefusedToken(t *testing.T) {
	w := newStartupWorld(t)
	var env []string
	for k, v := range w.env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-wrong"}) {
		env = append(env, k+"="+v)
	}
	out, errOut, code := runBinary(t, append(env, "DATACAKE_TOKEN_FILE=", "SLACK_APP_TOKEN="))
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s%s", code, out, errOut)
	}
	if n := strings.Count(errOut, `msg="cakegate cannot start" err="SLACK_BOT_TOKEN is refused by Slack (invalid_auth)`); n != 1 {
		t.Fatalf("want one line naming SLACK_BOT_TOKEN, got %d:\n%s", n, errOut)
	}
	if strings.Contains(errOut, "xoxb-wrong") || strings.Contains(errOut, `msg=ready`) || strings.Contains(errOut, `msg="ready`) {
		t.Fatalf("the output shows the token or claims readiness:\n%s", errOut)
	}
}
