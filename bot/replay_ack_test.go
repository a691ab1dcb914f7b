package bot_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
)

// heldReplays is a store's replay record whose answers wait until the test lets them go,
// as a store busy with an fsync, or an etcd far away, makes them wait.
type heldReplays struct {
	asked    chan string
	release  chan struct{}
	answered atomic.Int32 // answers given, or given up on
	mu       sync.Mutex
	seen     map[string]bool
}

func (h *heldReplays) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	h.asked <- key
	defer h.answered.Add(1)
	select {
	case <-h.release:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	first := !h.seen[key]
	h.seen[key] = true
	return first, nil
}

func (h *heldReplays) Forget(ctx context.Context, key string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.seen, key)
	return nil
}

// TestCommandAcknowledgedBeforeTheReplayAnswer: a slash command is acknowledged while the
// store has not yet said whether it was taken before (a burst would otherwise queue its
// acknowledgements behind the store's writes, and over Socket Mode hold up the one reader
// of every envelope); the command is then worked on once the store says it is new, and
// the same delivery sent again is still dropped. Both transports.
func TestCommandAcknowledgedBeforeTheReplayAnswer(t *testing.T) {
	for _, transport := range []string{"HTTP", "SocketMode"} {
		t.Run(transport, func(t *testing.T) {
			f := newHomeFixture(t)
			replays := &heldReplays{asked: make(chan string, 8), release: make(chan struct{}), seen: map[string]bool{}}
			cfg := bot.Config{Requests: f.svc.Store, Replays: replays}
			cmd := slack.SlashCommand{
				Command: "/cakegate", Text: `request role=viewer devices=SN-1002 reason="check the freezer"`,
				UserID: "U0ALICE", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
				ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0ALICE"),
			}
			var b *bot.Bot
			var sendAgain func()
			if transport == "HTTP" {
				cfg.Service, cfg.SigningSecret = f.svc, homeSecret
				cfg.Slack = slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL()))
				b = bot.New(cfg)
				srv := httptest.NewServer(b.Handler(nil))
				t.Cleanup(srv.Close)
				body := slacktest.SlashCommandForm(cmd)
				req := postSigned(t, srv.URL+"/slack/commands", body)
				sendAgain = func() { sendTwice(t, req, body, nil) }
			} else {
				s := newSocketFixture(t, f.svc, cfg)
				b = s.bot
				env, err := s.slack.SendSlashCommand(homeContext(t), cmd)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.slack.WaitAck(homeContext(t), env); err != nil {
					t.Fatalf("not acknowledged: %v", err)
				}
				sendAgain = func() {
					again, err := s.slack.SendSlashCommand(homeContext(t), cmd)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.slack.WaitAck(homeContext(t), again); err != nil {
						t.Fatalf("the repeat was not acknowledged: %v", err)
					}
				}
			}
			if n := replays.answered.Load(); n != 0 {
				t.Fatalf("the acknowledgement waited for %d answers of the store", n)
			}
			select {
			case key := <-replays.asked:
				t.Logf("acknowledged while the store was asked about %s", key)
			case <-homeContext(t).Done():
				t.Fatal("the store was never asked whether the command was taken before")
			}
			close(replays.release)

			// The same command again: acknowledged, and dropped.
			sendAgain()
			expectOneRequestOnceDone(t, b, f, "U0ALICE", cmd.ResponseURL)
		})
	}
}

// expectOneRequestOnceDone shuts b down, waiting for its work to end, and checks that the
// command user sent was worked on once: one request, and one answer at its responseURL (the
// store refuses a second request with the same trigger id, so the count of requests alone
// would not tell).
func expectOneRequestOnceDone(t *testing.T, b *bot.Bot, f *homeFixture, user, responseURL string) {
	t.Helper()
	if err := b.Shutdown(homeContext(t)); err != nil {
		t.Fatalf("work did not end: %v", err)
	}
	mine, err := f.svc.List(homeContext(t), user)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 {
		t.Fatalf("%d requests from one command, want 1", len(mine))
	}
	if posts := f.slack.ResponseURLPosts(responseURL); len(posts) != 1 {
		t.Fatalf("the command was answered %d times, want once: %+v", len(posts), posts)
	}
}

// downReplays is a store's replay record that cannot answer: etcd unreachable, a full disk.
type downReplays struct{ asked atomic.Int32 }

func (d *downReplays) Remember(context.Context, string, time.Time, time.Time) (bool, error) {
	d.asked.Add(1)
	return false, errors.New("etcd: context deadline exceeded")
}

func (d *downReplays) Forget(context.Context, string) error {
	return errors.New("etcd: context deadline exceeded")
}

// TestReplayRecordDownStillTakesTheCommand: when the store cannot say whether a command
// was taken before, the command is taken (dropping a person's request without a word is
// worse than the small chance of a replay), and this process's own memory still drops the
// same delivery sent again.
func TestReplayRecordDownStillTakesTheCommand(t *testing.T) {
	f := newHomeFixture(t)
	down := &downReplays{}
	b := bot.New(bot.Config{Service: f.svc, Slack: slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL())),
		SigningSecret: homeSecret, Requests: f.svc.Store, Replays: down})
	srv := httptest.NewServer(b.Handler(nil))
	t.Cleanup(srv.Close)
	responseURL := f.slack.NewResponseURL()
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: `request role=viewer devices=SN-1002 reason="check the freezer"`,
		UserID: "U0ALICE", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: responseURL, TriggerID: f.slack.NewTriggerID("U0ALICE"),
	})
	req, err := slacktest.SignedRequest(srv.URL+"/slack/commands", body, homeSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sendTwice(t, req, body, nil)
	expectOneRequestOnceDone(t, b, f, "U0ALICE", responseURL)
	if down.asked.Load() == 0 {
		t.Fatal("the store was never asked")
	}
}
