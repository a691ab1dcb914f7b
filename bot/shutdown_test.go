package bot_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// TestClickDuringShutdownIsNotAcknowledged: a click that arrives while cakegate stops is
// refused (503), so Slack shows the person it failed instead of it silently doing nothing;
// a slash command gets a private "restarting" answer.
func TestClickDuringShutdownIsNotAcknowledged(t *testing.T) {
	const secret = "shutdown-secret"
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	b := bot.New(bot.Config{
		Service:       &commands.Service{Policy: &commands.Policy{}, Clock: commands.SystemClock{}},
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		SigningSecret: secret,
	})
	srv := httptest.NewServer(b.Handler(nil))
	t.Cleanup(srv.Close)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !b.ShuttingDown() {
		t.Fatal("ShuttingDown is false after Shutdown")
	}

	cb := slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U1"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionApprove, Value: "R1"}}},
	}
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := slacktest.SignedRequest(srv.URL+"/slack/interactions", body, secret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("click during shutdown: %s, want 503", resp.Status)
	}

	cmd := slacktest.SlashCommandForm(slack.SlashCommand{Command: "/cakegate", Text: "list", UserID: "U1"})
	req, _ = slacktest.SignedRequest(srv.URL+"/slack/commands", cmd, secret, time.Now())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), "restarting") {
		t.Fatalf("slash command during shutdown: %s %s", resp.Status, answer)
	}
}
