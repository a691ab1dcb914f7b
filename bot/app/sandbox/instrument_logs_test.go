package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestLogsHoldNoSecretHTTP(t *testing.T)       { testLogsHoldNoSecret(t, false) }
func TestLogsHoldNoSecretSocketMode(t *testing.T) { testLogsHoldNoSecret(t, true) }

// testLogsHoldNoSecret plays a whole story, with failures of Slack and Datacake on the way
// so that warnings and errors are logged too, and searches the JSON log for every
// configured secret and for the token handed out.
func testLogsHoldNoSecret(t *testing.T, socket bool) {
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{socketMode: socket, log: logs, logFormat: "json"})
	ctx := testContext(t)

	// Datacake refuses cakegate's token once and fails twice more before it answers, and
	// Slack refuses one update: each is logged with its error.
	waitStartupReconciled(t, ctx, s)
	s.datacake.FailNext(1, http.StatusUnauthorized)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="read the boiler"`); err != nil {
		t.Fatal(err)
	}
	token := playShortStory(t, ctx, s, func(phase string) {
		switch phase {
		case "approving":
			s.slack.FailNext("chat.update", 1, "internal_error")
		case "active":
			s.datacake.FailNext(2, http.StatusBadGateway)
			if _, err := s.app.Service().Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	// A reply that cannot be posted to its response URL is logged, without the URL.
	s.slack.DropResponseURLNext(1)
	if _, err := s.sendSlash(ctx, sandboxAlice, "help"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Every Slack call too: the token only in a view opened for its requester.
	if bad := tokenOnlyInViewsOf(s.slack, token, sandboxAlice); len(bad) > 0 {
		t.Fatalf("the token left the requester's modal: %v", bad)
	}

	out := logs.String()
	secrets := map[string]string{
		"bot token":      slacktest.DefaultBotToken,
		"app token":      slacktest.DefaultAppToken,
		"signing secret": sandboxSecret,
		"Datacake token": sandboxDCToken,
		"issued token":   token,
	}
	// Response URLs and trigger ids work as credentials for a while: they are not logged.
	for i, u := range s.slack.IssuedResponseURLs() {
		secrets[fmt.Sprintf("response URL %d", i)] = u[strings.Index(u, "/response/"):]
	}
	for i, id := range s.slack.IssuedTriggerIDs() {
		secrets[fmt.Sprintf("trigger id %d", i)] = id
	}
	checkLogHoldsNoSecret(t, out, secrets, 5)
	mustContain(t, "logs", out, `"msg":"cakegate is running`, `"msg":"notification not delivered; will retry"`, `"msg":"datacake call failed; retrying"`, `"msg":"private reply failed"`)
}

// checkLogHoldsNoSecret fails if any secret is in the JSON log out, as written or in any
// string the log's JSON decodes to (an escaped character would hide it from the first), or
// if out has fewer than minLines lines: a search of nothing proves nothing.
func checkLogHoldsNoSecret(t *testing.T, out string, secrets map[string]string, minLines int) {
	t.Helper()
	lines := 0
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		lines++
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %d is not JSON (%v): %s", lines, err, line)
		}
		var texts []string
		collectStrings(record, &texts)
		texts = append(texts, line)
		for what, secret := range secrets {
			if len(secret) < 8 {
				t.Fatalf("the %s %q is too short to search for", what, secret)
			}
			for _, text := range texts {
				if strings.Contains(text, secret) {
					t.Errorf("log line %d holds the %s: %s", lines, what, line)
					break
				}
			}
		}
	}
	if lines < minLines {
		t.Fatalf("only %d log lines: nothing to search\n%s", lines, out)
	}
}

// collectStrings gathers every key and string value in a decoded JSON value.
func collectStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case []any:
		for _, e := range v {
			collectStrings(e, out)
		}
	case map[string]any:
		for k, e := range v {
			*out = append(*out, k)
			collectStrings(e, out)
		}
	}
}

// lineWatch is a log writer that tells, once, when a line containing want was written.
type lineWatch struct {
	want string
	seen chan struct{}
	once sync.Once
	apptest.SyncBuffer
}

func (w *lineWatch) Write(p []byte) (int, error) {
	n, err := w.SyncBuffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// TestServeLogFormat runs `cakegate serve` against the sandbox's fakes and checks the
// format of what it logs: --log-format wins over CAKEGATE_LOG_FORMAT.
func TestServeLogFormat(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	tests := []struct {
		name     string
		flag     []string
		env      string
		wantJSON bool
	}{
		{"default", nil, "", false},
		{"env json", nil, "json", true},
		{"flag json", []string{"--log-format", "json"}, "", true},
		{"flag text over env json", []string{"--log-format=text"}, "json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"SLACK_BOT_TOKEN":      slacktest.DefaultBotToken,
				"SLACK_SIGNING_SECRET": sandboxSecret,
				"SLACK_API_URL":        s.slack.URL(),
				"DATACAKE_TOKEN":       sandboxDCToken,
				"DATACAKE_API_URL":     s.datacake.URL(),
				"CAKEGATE_CONFIG":      s.app.Config().PolicyPath,
				"CAKEGATE_DB":          filepath.Join(t.TempDir(), "cakegate.db"),
				"CAKEGATE_ADDR":        "127.0.0.1:0",
				"CAKEGATE_LOG_FORMAT":  tt.env,
			}
			logs := &lineWatch{want: "cakegate is running", seen: make(chan struct{})}
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			exited := make(chan int, 1)
			go func() { exited <- app.Serve(ctx, tt.flag, func(k string) string { return env[k] }, logs) }()
			select {
			case <-logs.seen:
			case code := <-exited:
				t.Fatalf("serve exited %d before running:\n%s", code, logs)
			case <-ctx.Done():
				t.Fatalf("serve did not start:\n%s", logs)
			}
			cancel()
			if code := <-exited; code != 0 {
				t.Fatalf("serve exited %d:\n%s", code, logs)
			}
			secrets := map[string]string{"bot token": slacktest.DefaultBotToken, "signing secret": sandboxSecret, "Datacake token": sandboxDCToken}
			out := strings.TrimSpace(logs.String())
			if tt.wantJSON {
				checkLogHoldsNoSecret(t, out, secrets, 2)
				return
			}
			for line := range strings.SplitSeq(out, "\n") {
				if !strings.HasPrefix(line, "time=") {
					t.Errorf("not a text log line: %s", line)
				}
			}
			mustNotContain(t, "text log", out, slacktest.DefaultBotToken, sandboxSecret, sandboxDCToken)
		})
	}
}

func TestServeRefusesBadLogFormat(t *testing.T) {
	var stderr bytes.Buffer
	code := app.Serve(testContext(t), []string{"--log-format", "xml"}, func(string) string { return "" }, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	mustContain(t, "stderr", stderr.String(), `--log-format "xml": use text or json`)
}
