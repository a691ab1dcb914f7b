package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake/datacaketest"
	"github.com/cakegate/cakegate/state"
)

// serveResult is what `cakegate serve` returned and printed.
type serveResult struct {
	code   int
	stderr string
}

// serveCakegate runs `cakegate serve args…` with env as its whole environment.
func serveCakegate(t *testing.T, env map[string]string, args ...string) serveResult {
	t.Helper()
	var stderr bytes.Buffer
	code := app.Serve(testContext(t), args, apptest.EnvOf(env), &stderr)
	return serveResult{code, stderr.String()}
}

func TestRunServeRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // each named in the message
	}{
		{"Missing", map[string]string{}, []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATACAKE_TOKEN"}},
		{"Malformed", map[string]string{
			"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": "xoxb-not-an-app-token", "DATACAKE_TOKEN": "dc",
			"DATACAKE_MAX_RPS": "fast", "DATACAKE_MAX_CONCURRENCY": "0", "DATACAKE_API_URL": "ftp://x", "CAKEGATE_LOG_FORMAT": "xml",
			"CAKEGATE_COMMAND": "ask",
		}, []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATACAKE_MAX_RPS", "DATACAKE_MAX_CONCURRENCY", "DATACAKE_API_URL", "CAKEGATE_LOG_FORMAT", "CAKEGATE_COMMAND"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.env["CAKEGATE_DB"] = filepath.Join(dir, "cakegate.db")
			tt.env["CAKEGATE_ADDR"] = "127.0.0.1:0"
			got := serveCakegate(t, tt.env)
			if got.code == 0 {
				t.Fatalf("serve with bad settings exited 0; stderr:\n%s", got.stderr)
			}
			if strings.Count(got.stderr, "cakegate cannot start") != 1 {
				t.Fatalf("want one message starting with 'cakegate cannot start', got:\n%s", got.stderr)
			}
			lines := strings.Split(strings.TrimSpace(got.stderr), "\n")
			for _, v := range tt.want {
				n := 0
				for _, l := range lines {
					if strings.Contains(l, v+" ") || strings.Contains(l, v+"=") {
						n++
					}
				}
				if n == 0 {
					t.Errorf("no line names %s:\n%s", v, got.stderr)
				}
			}
			for _, secret := range []string{"xoxp-user-token", "xoxb-not-an-app-token"} {
				if strings.Contains(got.stderr, secret) {
					t.Errorf("the message shows the secret %q:\n%s", secret, got.stderr)
				}
			}
			if _, err := os.Stat(tt.env["CAKEGATE_DB"]); err == nil {
				t.Error("serve created the database although it did not start")
			}
		})
	}
}

// TestRunServeRefusesBadPolicy: a mistake in the policy file stops serve with the file and
// line of the mistake, before the database is touched.
func TestRunServeRefusesBadPolicy(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "cakegate.yaml")
	bad := strings.Replace(sandboxPolicy, "    max_duration: 7d\n", "    max_duration: 7d\n    max_durration: 8d\n", 1)
	line := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "max_durration") {
			line = i + 1
		}
	}
	if err := os.WriteFile(policy, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "shh", "DATACAKE_TOKEN": "dc",
		"CAKEGATE_CONFIG": policy, "CAKEGATE_DB": filepath.Join(dir, "cakegate.db"), "CAKEGATE_ADDR": "127.0.0.1:0",
	}
	got := serveCakegate(t, env)
	if got.code != 2 {
		t.Fatalf("serve with a bad policy exited %d, want 2 (fix the policy; a restart will not); stderr:\n%s", got.code, got.stderr)
	}
	want := policy + ":" + strconv.Itoa(line) + ":"
	if !strings.Contains(got.stderr, want) || !strings.Contains(got.stderr, "max_durration") {
		t.Fatalf("stderr does not say %s…max_durration:\n%s", want, got.stderr)
	}
	if _, err := os.Stat(env["CAKEGATE_DB"]); err == nil {
		t.Error("serve created the database although the policy is wrong")
	}
}

// signalWriter collects log output and closes seen when a line contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunServeShutdownFinishesWork runs `cakegate serve` (Socket Mode) against the fakes,
// approves a request whose Datacake create is held, and cancels run's context as SIGTERM
// does while the create waits. run must not return before the acknowledged approval is
// finished (API user created, token delivered, request active), and must close the
// database: opening it again succeeds at once.
func TestRunServeShutdownFinishesWork(t *testing.T) {
	ctx := testContext(t)
	fakeSlack := slacktest.New()
	fakeSlack.Start()
	defer fakeSlack.Close()
	for _, u := range []slacktest.User{{ID: sandboxAlice, Name: "alice"}, {ID: sandboxAnn, Name: "ann"}, {ID: sandboxBob, Name: "bob"}} {
		fakeSlack.AddUser(u)
	}
	fakeSlack.AddChannel(sandboxChannel, "cakegate-approvals")
	fakeDC := datacaketest.NewServer(t)
	fakeDC.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	fakeDC.AddDevice(sandboxWorkspace, datacaketest.Device{Name: "Boiler room", Serial: "SN-1001"})
	fakeDC.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})

	dir := t.TempDir()
	policy := filepath.Join(dir, "cakegate.yaml")
	if err := os.WriteFile(policy, []byte(sandboxPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "cakegate.db")
	env := map[string]string{
		"SLACK_BOT_TOKEN": slacktest.DefaultBotToken, "SLACK_APP_TOKEN": slacktest.DefaultAppToken,
		"SLACK_API_URL": fakeSlack.URL(), "DATACAKE_TOKEN": sandboxDCToken, "DATACAKE_API_URL": fakeDC.URL(),
		"CAKEGATE_CONFIG": policy, "CAKEGATE_DB": dbPath, "CAKEGATE_ADDR": "127.0.0.1:0",
	}
	logs := &signalWriter{want: "shutting down", seen: make(chan struct{})}
	seen := logs.seen
	runCtx, stop := context.WithCancel(ctx)
	exited := make(chan int, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		exited <- app.Serve(runCtx, nil, apptest.EnvOf(env), logs)
	}()
	defer func() {
		// Should the test fail half way, serve must still be gone before its files are.
		stop()
		fakeDC.Release()
		<-finished
	}()
	if err := fakeSlack.WaitConnected(ctx, 1); err != nil {
		t.Fatalf("serve did not connect: %v\n%s", err, logs)
	}

	// alice asks; the approval message appears.
	id, err := fakeSlack.SendSlashCommand(ctx, slackCommandFor(fakeSlack, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fakeSlack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	var msg slacktest.Message
	err = fakeSlack.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, m := range s.Messages(sandboxChannel) {
			if strings.Contains(s.RenderMessage(m), "[Approve]") {
				msg = m
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no approval message: %v\n%s", err, logs)
	}

	// Ann approves; alice reveals while Datacake holds its answers; the click is acknowledged.
	id, err = fakeSlack.ClickButton(ctx, sandboxAnn, msg.Channel, msg.TS, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fakeSlack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	var reveal slacktest.Message
	if err := fakeSlack.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, m := range s.DMs(sandboxAlice) {
			if strings.Contains(s.RenderMessage(m), "[Reveal token]") {
				reveal = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no Reveal DM: %v\n%s", err, logs)
	}
	fakeDC.Hold()
	id, err = fakeSlack.ClickButton(ctx, sandboxAlice, reveal.Channel, reveal.TS, bot.ActionReveal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fakeSlack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := fakeDC.WaitHeld(ctx, "NewApiUser"); err != nil {
		t.Fatal(err)
	}

	// SIGTERM.
	stop()
	select {
	case <-seen:
	case <-ctx.Done():
		t.Fatalf("no shutdown began:\n%s", logs)
	}
	select {
	case code := <-exited:
		t.Fatalf("run returned %d while an acknowledged approval was waiting for Datacake", code)
	default:
	}
	fakeDC.Release()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("run returned %d after a clean shutdown:\n%s", code, logs)
		}
	case <-ctx.Done():
		t.Fatalf("run did not return after its work was done:\n%s", logs)
	}

	users := fakeDC.APIUsers(sandboxWorkspace)
	if len(users) != 1 {
		t.Fatalf("%d API users, want 1", len(users))
	}
	if !slices.ContainsFunc(fakeSlack.CallsTo("views.update"), func(c slacktest.Call) bool {
		return c.OK() && strings.Contains(string(c.Blocks), users[0].Token)
	}) {
		t.Fatal("the token was not shown before shutdown finished")
	}
	store, err := state.Open(dbPath, state.WithLockTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatalf("the database is still held after run returned: %v", err)
	}
	defer store.Close()
	r, err := store.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != commands.StateActive || r.Grant == nil || r.Grant.APIUserID != users[0].ID {
		t.Fatalf("R1 is %s with grant %+v, want active with API user %s", r.State, r.Grant, users[0].ID)
	}
}

func slackCommandFor(s *slacktest.Server, user, text string) slack.SlashCommand {
	return slack.SlashCommand{Command: "/cakegate", Text: text, UserID: user, ChannelID: sandboxChannel, ResponseURL: s.ResponseURLFor(sandboxChannel, user, "")}
}
