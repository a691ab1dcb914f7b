package bot_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFailedReplyLogsNoResponseURL: when the answer to a command cannot be posted to its
// response_url, the failure is logged without the URL (a credential for 30 minutes) and
// without the command's trigger id.
func TestFailedReplyLogsNoResponseURL(t *testing.T) {
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	logs := &lockedBuffer{}
	svc := &commands.Service{Policy: &commands.Policy{ApprovalsChannel: "C0APPROVALS", Location: time.UTC}, Clock: commands.SystemClock{}}
	b := bot.New(bot.Config{
		Service: svc, Slack: slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		SigningSecret: httpSecret, Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	srv := httptest.NewServer(b.Handler(nil))
	t.Cleanup(srv.Close)

	responseURL := fake.ResponseURLFor("C0GENERAL", "U0ALICE", "")
	trigger := fake.NewTriggerID("U0ALICE")
	fake.DropResponseURLNext(1)
	body := slacktest.SlashCommandForm(slack.SlashCommand{Command: "/cakegate", Text: "help", UserID: "U0ALICE", ChannelID: "C0GENERAL", ResponseURL: responseURL, TriggerID: trigger})
	req, err := slacktest.SignedRequest(srv.URL+"/slack/commands", body, httpSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := b.Shutdown(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "private reply failed") {
		t.Fatalf("the failed reply was not logged:\n%s", out)
	}
	path := strings.TrimPrefix(responseURL, strings.TrimSuffix(fake.URL(), "/api/"))
	for what, secret := range map[string]string{"response URL": responseURL, "response URL path": path, "trigger id": trigger} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds the %s %q:\n%s", what, secret, out)
		}
	}
}
