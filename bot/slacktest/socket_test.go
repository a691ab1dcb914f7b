package slacktest_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runBot connects a real slack-go Socket Mode client to the fake and hands
// every request to handle, which must ack it. It stops when the test ends.
func runBot(t *testing.T, srv *slacktest.Server, handle func(*socketmode.Client, socketmode.Event)) *slack.Client {
	t.Helper()
	api := slack.New(slacktest.DefaultBotToken, slack.OptionAppLevelToken(slacktest.DefaultAppToken), slack.OptionAPIURL(srv.URL()))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sm.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request != nil {
					handle(sm, evt)
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return api
}

func TestSocketModeSlashCommand(t *testing.T) {
	srv := mustStart(t)
	ctx := deadline(t)
	got := make(chan slack.SlashCommand, 4)
	runBot(t, srv, func(sm *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		cmd := evt.Data.(slack.SlashCommand)
		got <- cmd
		_ = sm.Ack(*evt.Request, map[string]any{"text": "Asked the owners of `" + cmd.Text + "`"})
	})

	send := func(t *testing.T) {
		t.Helper()
		id, err := srv.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cake", Text: "orders", UserID: alice.ID, ChannelID: "C0REQ"})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := srv.WaitAck(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(payload), "Asked the owners") {
			t.Fatalf("ack payload %s", payload)
		}
		if cmd := recv(t, ctx, got); cmd.Command != "/cake" || cmd.UserName != "alice" || cmd.TriggerID == "" || cmd.ResponseURL == "" || cmd.TeamID != slacktest.DefaultTeamID {
			t.Fatalf("bot got %+v", cmd)
		}
	}

	t.Run("AckShownToUser", func(t *testing.T) {
		send(t)
		eph := srv.Ephemerals(alice.ID)
		if len(eph) != 1 || eph[0].Via != "ack" || eph[0].Text != "Asked the owners of `orders`" {
			t.Fatalf("Ephemerals = %+v", eph)
		}
	})

	t.Run("ReconnectAfterDrop", func(t *testing.T) {
		srv.Disconnect()
		if err := srv.WaitConnected(ctx, 2); err != nil {
			t.Fatal(err)
		}
		send(t)
	})

	t.Run("ReconnectOnRequest", func(t *testing.T) {
		srv.RequestReconnect()
		if err := srv.WaitConnected(ctx, 3); err != nil {
			t.Fatal(err)
		}
		send(t)
		if calls := srv.CallsTo("apps.connections.open"); len(calls) != 3 || calls[0].Token != slacktest.DefaultAppToken {
			t.Fatalf("apps.connections.open calls: %+v", calls)
		}
	})
}

func TestSocketModeBlockAction(t *testing.T) {
	srv := mustStart(t)
	ctx := deadline(t)
	var api *slack.Client
	api = runBot(t, srv, func(sm *socketmode.Client, evt socketmode.Event) {
		cb, isInteraction := evt.Data.(slack.InteractionCallback)
		_ = sm.Ack(*evt.Request)
		if !isInteraction || len(cb.ActionCallback.BlockActions) == 0 {
			return
		}
		act := cb.ActionCallback.BlockActions[0]
		_, _, _ = api.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
			slack.MsgOptionText("approved", false),
			slack.MsgOptionBlocks(section("Request "+act.Value+" approved by <@"+cb.User.ID+">")))
	})
	_, ts, err := api.PostMessage("C0APPROVE", slack.MsgOptionText("approve?", false),
		slack.MsgOptionBlocks(section("Alice asks for `orders`"), slack.NewActionBlock("decide", button("approve", "Approve", "r1"), button("deny", "Deny", "r1"))))
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.SendInteraction(ctx, slack.InteractionCallback{
		Type:      slack.InteractionTypeBlockActions,
		User:      slack.User{ID: bob.ID},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C0APPROVE"}}},
		Container: slack.Container{Type: "message", MessageTs: ts, ChannelID: "C0APPROVE"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: "approve", BlockID: "decide", Value: "r1", Type: "button"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	err = srv.WaitFor(ctx, func(s *slacktest.Server) bool {
		m, _ := s.Message("C0APPROVE", ts)
		return m.Updates == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := srv.Message("C0APPROVE", ts)
	if got := srv.RenderMessage(m); got != "Request r1 approved by @bob" {
		t.Fatalf("message now reads %q", got)
	}
}

func TestSocketModeViewSubmission(t *testing.T) {
	srv := mustStart(t)
	ctx := deadline(t)
	acks := make(chan any, 1) // what the bot answers the next submission with
	submitted := make(chan slack.InteractionCallback, 1)
	var api *slack.Client
	api = runBot(t, srv, func(sm *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd := evt.Data.(slack.SlashCommand)
			_ = sm.Ack(*evt.Request)
			_, _ = api.OpenView(cmd.TriggerID, modal("Request access"))
		case socketmode.EventTypeInteractive:
			_ = sm.Ack(*evt.Request, <-acks)
			submitted <- evt.Data.(slack.InteractionCallback)
		default:
			_ = sm.Ack(*evt.Request)
		}
	})
	if _, err := srv.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cake", UserID: alice.ID, ChannelID: "C0REQ"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitFor(ctx, func(s *slacktest.Server) bool { return len(s.Views(alice.ID)) == 1 }); err != nil {
		t.Fatalf("modal never opened: %v", err)
	}
	submit := func(ack any) (json.RawMessage, error) {
		acks <- ack
		id, err := srv.SubmitView(ctx, alice.ID, map[string]map[string]slack.BlockAction{
			"reason": {"reason_input": {Type: "plain_text_input", Value: "debugging"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := srv.WaitAck(ctx, id)
		cb := recv(t, ctx, submitted)
		if cb.View.ID == "" || cb.View.CallbackID != "request" || cb.View.State.Values["reason"]["reason_input"].Value != "debugging" {
			t.Fatalf("bot got view %+v", cb.View)
		}
		return payload, err
	}

	t.Run("Errors", func(t *testing.T) {
		if _, err := submit(slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "Say more"})); err != nil {
			t.Fatal(err)
		}
		if len(srv.Views(alice.ID)) != 1 {
			t.Fatal("errors closed the modal")
		}
	})

	t.Run("ErrErrorsForNonInputBlock", func(t *testing.T) {
		_, err := submit(slack.NewErrorsViewSubmissionResponse(map[string]string{"not_an_input": "x"}))
		if err == nil || !strings.Contains(err.Error(), "trouble connecting") {
			t.Fatalf("got %v, want the trouble-connecting complaint", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		if _, err := submit(slack.NewUpdateViewSubmissionResponse(ptr(modal("Thanks")))); err != nil {
			t.Fatal(err)
		}
		if v := srv.Views(alice.ID); len(v) != 1 || v[0].Title != "Thanks" {
			t.Fatalf("Views = %+v", v)
		}
	})

	t.Run("EmptyAckCloses", func(t *testing.T) {
		if _, err := submit(nil); err != nil {
			t.Fatal(err)
		}
		if v := srv.Views(alice.ID); len(v) != 0 {
			t.Fatalf("modal still open: %+v", v)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestSocketModeEvents(t *testing.T) {
	srv := mustStart(t)
	ctx := deadline(t)
	type seen struct {
		eventID string
		retry   int
		user    string
	}
	got := make(chan seen, 2)
	runBot(t, srv, func(sm *socketmode.Client, evt socketmode.Event) {
		_ = sm.Ack(*evt.Request)
		ev, isEvent := evt.Data.(slackevents.EventsAPIEvent)
		if !isEvent {
			return
		}
		cb := ev.Data.(*slackevents.EventsAPICallbackEvent)
		home := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
		got <- seen{cb.EventID, evt.Request.RetryAttempt, home.User}
	})
	id, err := srv.SendEvent(ctx, json.RawMessage(`{"type":"app_home_opened","user":"U0ALICE","channel":"DU0ALICE","tab":"home","event_ts":"1700000000.000100"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	again, err := srv.RedeliverEvent(ctx, id, "timeout")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitAck(ctx, again); err != nil {
		t.Fatal(err)
	}
	first, second := recv(t, ctx, got), recv(t, ctx, got)
	if first.user != alice.ID || first.eventID == "" || first.retry != 0 {
		t.Fatalf("first delivery %+v", first)
	}
	if second.eventID != first.eventID || second.retry != 1 {
		t.Fatalf("redelivery %+v, want event %s with retry 1", second, first.eventID)
	}
}
