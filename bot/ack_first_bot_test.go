package bot_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
)

// askedReplays is a store's replay record that says when it is asked: the first thing a
// slash command's work does.
type askedReplays struct{ asked chan string }

func (a *askedReplays) Remember(_ context.Context, key string, _, _ time.Time) (bool, error) {
	a.asked <- key
	return true, nil
}

func (a *askedReplays) Forget(context.Context, string) error { return nil }

// TestBurstAcknowledgedBeforeItsWork: a command's work waits while deliveries from Slack
// keep arriving, so a burst's acknowledgements do not share the cores with the work the
// first ones started; the work runs once they pause, and none is lost. Both transports.
func TestBurstAcknowledgedBeforeItsWork(t *testing.T) {
	for _, transport := range []string{"HTTP", "SocketMode"} {
		t.Run(transport, func(t *testing.T) {
			f := newHomeFixture(t)
			replays := &askedReplays{asked: make(chan string, 8)}
			cfg := bot.Config{Requests: f.svc.Store, Replays: replays} // Go nil: the bot's own goroutines
			cmd := slack.SlashCommand{
				Command: "/cakegate", Text: `request role=viewer devices=SN-1002 reason="check the freezer"`,
				UserID: "U0ALICE", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
				ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0ALICE"),
			}
			var b *bot.Bot
			if transport == "HTTP" {
				cfg.Service, cfg.SigningSecret = f.svc, homeSecret
				cfg.Slack = slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL()))
				b = bot.New(cfg)
				advance := bot.HoldOnManualClock(b)
				srv := httptest.NewServer(b.Handler(nil))
				t.Cleanup(srv.Close)
				postSigned(t, srv.URL+"/slack/commands", slacktest.SlashCommandForm(cmd))
				expectHeldThenRun(t, replays, advance)
			} else {
				s := newSocketFixture(t, f.svc, cfg)
				b = s.bot
				advance := bot.HoldOnManualClock(b)
				env, err := s.slack.SendSlashCommand(homeContext(t), cmd)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.slack.WaitAck(homeContext(t), env); err != nil {
					t.Fatalf("not acknowledged: %v", err)
				}
				expectHeldThenRun(t, replays, advance)
			}
			expectOneRequestOnceDone(t, b, f, "U0ALICE", cmd.ResponseURL)
		})
	}
}

// expectHeldThenRun checks that an acknowledged command's work has not started while the
// hold is on (a bounded look: the work, were it not held, asks the store within
// microseconds), and starts once the clock passes the pause that ends the hold.
func expectHeldThenRun(t *testing.T, replays *askedReplays, advance func(time.Duration)) {
	t.Helper()
	select {
	case key := <-replays.asked:
		t.Fatalf("the work started (asked the store about %s) while deliveries could still be arriving", key)
	case <-time.After(100 * time.Millisecond):
	}
	advance(time.Second)
	select {
	case <-replays.asked:
	case <-homeContext(t).Done():
		t.Fatal("the work never started after deliveries paused")
	}
}
