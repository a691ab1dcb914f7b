package slacktest_test

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

func TestPostMessage(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)

	t.Run("OK", func(t *testing.T) {
		blocks := []slack.Block{section("Alice asks for *read* on `orders`"), slack.NewActionBlock("decide", button("approve", "Approve", "r1"))}
		ch, ts, err := api.PostMessage("C0APPROVE", slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(blocks...))
		if err != nil {
			t.Fatalf("PostMessage: %v", err)
		}
		if ch != "C0APPROVE" || ts == "" {
			t.Fatalf("got channel %q ts %q", ch, ts)
		}
		msgs := srv.Messages("C0APPROVE")
		if len(msgs) != 1 || msgs[0].TS != ts || msgs[0].Text != "fallback" {
			t.Fatalf("Messages = %+v", msgs)
		}
		if got, want := srv.Render(msgs[0].Blocks), "Alice asks for *read* on `orders`\n[Approve]"; got != want {
			t.Fatalf("Render = %q, want %q", got, want)
		}
		call := srv.CallsTo("chat.postMessage")[0]
		if call.Token != slacktest.DefaultBotToken || call.Params["channel"] != "C0APPROVE" || !strings.Contains(string(call.Blocks), `"action_id":"approve"`) {
			t.Fatalf("recorded %+v", call)
		}
	})

	t.Run("TimestampsIncrease", func(t *testing.T) {
		_, ts1, err1 := api.PostMessage("C0TS", slack.MsgOptionText("one", false))
		_, ts2, err2 := api.PostMessage("C0TS", slack.MsgOptionText("two", false))
		if err1 != nil || err2 != nil {
			t.Fatalf("PostMessage: %v, %v", err1, err2)
		}
		if !(ts1 < ts2) || len(ts1) != len(ts2) {
			t.Fatalf("ts %q then %q: want increasing", ts1, ts2)
		}
	})

	t.Run("Thread", func(t *testing.T) {
		_, parent, _ := api.PostMessage("C0THREAD", slack.MsgOptionText("parent", false))
		_, _, err := api.PostMessage("C0THREAD", slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent))
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Messages("C0THREAD")[1].ThreadTS; got != parent {
			t.Fatalf("thread ts %q, want %q", got, parent)
		}
	})

	t.Run("ErrNoText", func(t *testing.T) {
		_, _, err := api.PostMessage("C0X")
		if slackErr(err) != "no_text" {
			t.Fatalf("got %v, want no_text", err)
		}
	})

	t.Run("ErrMsgTooLong", func(t *testing.T) {
		_, _, err := api.PostMessage("C0X", slack.MsgOptionText(strings.Repeat("é", 40001), false))
		if slackErr(err) != "msg_too_long" {
			t.Fatalf("got %v, want msg_too_long", err)
		}
		if _, _, err := api.PostMessage("C0X", slack.MsgOptionText(strings.Repeat("é", 40000), false)); err != nil {
			t.Fatalf("40000 characters: %v", err)
		}
	})

	t.Run("ErrChannel", func(t *testing.T) {
		srv.SetChannelNotFound("C0GONE")
		srv.SetChannelError("C0PRIVATE", "not_in_channel")
		if _, _, err := api.PostMessage("C0GONE", slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
			t.Fatalf("got %v, want channel_not_found", err)
		}
		if _, _, err := api.PostMessage("C0PRIVATE", slack.MsgOptionText("x", false)); slackErr(err) != "not_in_channel" {
			t.Fatalf("got %v, want not_in_channel", err)
		}
		if len(srv.Messages("C0GONE")) != 0 {
			t.Fatal("a failed post was stored")
		}
	})
}

func TestDMs(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)

	t.Run("ByUserID", func(t *testing.T) {
		ch, _, err := api.PostMessage(alice.ID, slack.MsgOptionText("your token", false))
		if err != nil {
			t.Fatal(err)
		}
		if ch != slacktest.DMChannel(alice.ID) {
			t.Fatalf("channel %q, want the DM %q", ch, slacktest.DMChannel(alice.ID))
		}
	})

	t.Run("ByOpenedChannel", func(t *testing.T) {
		dm, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := api.PostMessage(dm.ID, slack.MsgOptionText("second", false)); err != nil {
			t.Fatal(err)
		}
		dms := srv.DMs(alice.ID)
		if len(dms) != 2 || dms[0].Text != "your token" || dms[1].Text != "second" {
			t.Fatalf("DMs = %+v", dms)
		}
	})

	t.Run("ErrUnknownUser", func(t *testing.T) {
		if _, _, err := api.PostMessage("U0NOBODY", slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
			t.Fatalf("got %v, want channel_not_found", err)
		}
	})

	t.Run("ErrBlocked", func(t *testing.T) {
		srv.BlockDMs(bob.ID, "user_disabled")
		defer srv.UnblockDMs(bob.ID)
		_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{bob.ID}})
		if slackErr(err) != "user_disabled" {
			t.Fatalf("open: got %v, want user_disabled", err)
		}
		if _, _, err := api.PostMessage(slacktest.DMChannel(bob.ID), slack.MsgOptionText("x", false)); slackErr(err) != "user_disabled" {
			t.Fatalf("post: got %v, want user_disabled", err)
		}
	})
}

func TestUpdateMessage(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	_, ts, err := api.PostMessage("C0APPROVE", slack.MsgOptionText("pending", false), slack.MsgOptionBlocks(section("Pending"), slack.NewActionBlock("b", button("approve", "Approve", "1"))))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		_, _, text, err := api.UpdateMessage("C0APPROVE", ts, slack.MsgOptionText("approved", false), slack.MsgOptionBlocks(section("Approved by <@U0BOB>")))
		if err != nil {
			t.Fatal(err)
		}
		if text != "approved" {
			t.Fatalf("text %q", text)
		}
		m, _ := srv.Message("C0APPROVE", ts)
		if got := srv.RenderMessage(m); got != "Approved by @bob" || m.Updates != 1 {
			t.Fatalf("after update: %q (%d updates)", got, m.Updates)
		}
	})

	t.Run("KeepsBlocksLeftOut", func(t *testing.T) {
		if _, _, _, err := api.UpdateMessage("C0APPROVE", ts, slack.MsgOptionText("approved!", false)); err != nil {
			t.Fatal(err)
		}
		m, _ := srv.Message("C0APPROVE", ts)
		if m.Text != "approved!" || !strings.Contains(string(m.Blocks), "Approved by") {
			t.Fatalf("got %+v", m)
		}
	})

	t.Run("ErrMessageNotFound", func(t *testing.T) {
		for _, tc := range []struct{ channel, ts string }{{"C0APPROVE", "1.000001"}, {"C0OTHER", ts}} {
			_, _, _, err := api.UpdateMessage(tc.channel, tc.ts, slack.MsgOptionText("x", false))
			if slackErr(err) != "message_not_found" {
				t.Errorf("update %s/%s: got %v, want message_not_found", tc.channel, tc.ts, err)
			}
		}
	})
}

func TestPostEphemeral(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	ts, err := api.PostEphemeral("C0REQ", alice.ID, slack.MsgOptionText("Only you can see this", false))
	if err != nil || ts == "" {
		t.Fatalf("PostEphemeral: %q, %v", ts, err)
	}
	got := srv.Ephemerals(alice.ID)
	if len(got) != 1 || got[0].Text != "Only you can see this" || got[0].Channel != "C0REQ" || got[0].Via != "chat.postEphemeral" {
		t.Fatalf("Ephemerals = %+v", got)
	}
	if len(srv.Messages("C0REQ")) != 0 {
		t.Fatal("an ephemeral landed in the channel")
	}
	if _, err := api.PostEphemeral("C0REQ", "U0NOBODY", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_found" {
		t.Fatalf("unknown user: got %v", err)
	}
}
