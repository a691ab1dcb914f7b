package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// socketFixture is a Bot connected over Socket Mode to the fake Slack.
type socketFixture struct {
	bot    *bot.Bot
	slack  *slacktest.Server
	panics *panicCounter
	// stopped is closed when RunSocketMode returns.
	stopped chan struct{}
}

// panicCounter counts what Config.OnPanic is told.
type panicCounter struct {
	mu    sync.Mutex
	where map[string]int
}

func (p *panicCounter) count(where string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.where == nil {
		p.where = map[string]int{}
	}
	p.where[where]++
}

func (p *panicCounter) get(where string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.where[where]
}

// newSocketFixture connects a Bot built on svc (and cfg, whose Service, Slack and OnPanic it
// sets) over Socket Mode and waits until it is connected.
func newSocketFixture(t *testing.T, svc *commands.Service, cfg bot.Config) *socketFixture {
	t.Helper()
	f := &socketFixture{slack: slacktest.New(), panics: &panicCounter{}, stopped: make(chan struct{})}
	f.slack.Start()
	t.Cleanup(f.slack.Close)
	for _, id := range []string{"U0ALICE", "U0BOB"} {
		f.slack.AddUser(slacktest.User{ID: id, Name: id})
	}
	cfg.Service = svc
	cfg.Slack = slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL()), slack.OptionAppLevelToken(slacktest.DefaultAppToken))
	cfg.OnPanic = f.panics.count
	f.bot = bot.New(cfg)
	if svc.Groups == nil {
		svc.Groups = f.bot
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(f.stopped)
		f.bot.RunSocketMode(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-f.stopped
		f.bot.Shutdown(context.Background())
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := f.slack.WaitConnected(wctx, 1); err != nil {
		t.Fatalf("socket mode did not connect: %v", err)
	}
	return f
}

// alive checks the reader still works: a help command sent now is acknowledged.
func (f *socketFixture) alive(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env, err := f.slack.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cakegate", Text: "help", UserID: "U0ALICE", ChannelID: "C0GENERAL"})
	if err != nil {
		t.Fatalf("send help: %v", err)
	}
	if _, err := f.slack.WaitAck(ctx, env); err != nil {
		t.Fatalf("help after the bad payload was not acknowledged: %v", err)
	}
}
