package slacktest_test

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

// Users every test workspace has.
var (
	alice = slacktest.User{ID: "U0ALICE", Name: "alice", RealName: "Alice Archer", TZ: "Europe/Berlin"}
	bob   = slacktest.User{ID: "U0BOB", Name: "bob", RealName: "Bob Baker", TZ: "America/New_York"}
)

// mustStart starts a fake with alice and bob and stops it when the test ends.
func mustStart(tb testing.TB, opts ...slacktest.Option) *slacktest.Server {
	tb.Helper()
	srv := slacktest.New(opts...)
	srv.Start()
	tb.Cleanup(srv.Close)
	srv.AddUser(alice)
	srv.AddUser(bob)
	return srv
}

// client is a real slack-go client pointed at the fake with the bot token.
func client(srv *slacktest.Server) *slack.Client {
	return slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(srv.URL()))
}

// deadline bounds a test's waiting; nothing in these tests sleeps.
func deadline(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// slackErr returns the Slack error code of err, or "" when it has none.
func slackErr(err error) string {
	if e, isSlack := err.(slack.SlackErrorResponse); isSlack {
		return e.Err
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
}

// recv takes the next value from ch, failing the test when ctx ends first.
func recv[T any](tb testing.TB, ctx context.Context, ch <-chan T) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		tb.Fatalf("nothing arrived: %v", ctx.Err())
	}
	var zero T
	return zero
}
