package slacktest_test

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestClickButton(t *testing.T) {
	srv := mustStart(t)
	ctx := deadline(t)
	pressed := make(chan slack.InteractionCallback, 2)
	api := runBot(t, srv, func(sm *socketmode.Client, evt socketmode.Event) {
		_ = sm.Ack(*evt.Request)
		if cb, isInteraction := evt.Data.(slack.InteractionCallback); isInteraction {
			pressed <- cb
		}
	})
	_, ts, err := api.PostMessage("C0APPROVE", slack.MsgOptionText("approve?", false),
		slack.MsgOptionBlocks(section("Alice asks"), slack.NewActionBlock("decide", button("approve", "Approve", "r1"))))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Message", func(t *testing.T) {
		id, err := srv.ClickButton(ctx, bob.ID, "C0APPROVE", ts, "approve")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
		cb := recv(t, ctx, pressed)
		act := cb.ActionCallback.BlockActions[0]
		if cb.User.ID != bob.ID || cb.Container.MessageTs != ts || cb.Channel.ID != "C0APPROVE" || act.Value != "r1" || act.BlockID != "decide" || cb.ResponseURL == "" || cb.TriggerID == "" {
			t.Fatalf("bot got %+v / %+v", cb, act)
		}
		if len(cb.Message.Blocks.BlockSet) != 2 {
			t.Fatalf("interaction carries message blocks %+v", cb.Message.Blocks)
		}
	})

	t.Run("HomeTab", func(t *testing.T) {
		home, err := api.PublishView(alice.ID, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewActionBlock("home", button("new_request", "New request", "")),
		}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		id, err := srv.ClickViewButton(ctx, alice.ID, home.ID, "new_request")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
		cb := recv(t, ctx, pressed)
		if cb.View.ID != home.ID || cb.Container.Type != "view" || cb.TriggerID == "" {
			t.Fatalf("bot got %+v", cb)
		}
	})

	t.Run("ErrNoSuchButton", func(t *testing.T) {
		if _, err := srv.ClickButton(ctx, bob.ID, "C0APPROVE", ts, "deny"); err == nil {
			t.Fatal("pressed a button the message does not have")
		}
		if _, err := srv.SubmitView(ctx, bob.ID, nil); err == nil {
			t.Fatal("submitted a modal bob does not have open")
		}
	})
}
