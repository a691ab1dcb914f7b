package slacktest_test

import (
	"errors"
	"testing"

	"github.com/slack-go/slack"
)

func TestResponseURL(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)

	t.Run("Records", func(t *testing.T) {
		url := srv.NewResponseURL()
		_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("Request sent", false))
		if err != nil {
			t.Fatal(err)
		}
		posts := srv.ResponseURLPosts(url)
		if len(posts) != 1 || posts[0].Text != "Request sent" || posts[0].ResponseType != "ephemeral" {
			t.Fatalf("posts %+v", posts)
		}
	})

	t.Run("EphemeralToUser", func(t *testing.T) {
		url := srv.ResponseURLFor("C0REQ", alice.ID, "")
		if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("Only you", false)); err != nil {
			t.Fatal(err)
		}
		eph := srv.Ephemerals(alice.ID)
		if len(eph) != 1 || eph[0].Via != "response_url" || eph[0].Text != "Only you" {
			t.Fatalf("Ephemerals = %+v", eph)
		}
	})

	t.Run("InChannel", func(t *testing.T) {
		url := srv.ResponseURLFor("C0REQ", alice.ID, "")
		if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText("Everyone sees", false)); err != nil {
			t.Fatal(err)
		}
		if msgs := srv.Messages("C0REQ"); len(msgs) != 1 || msgs[0].Text != "Everyone sees" {
			t.Fatalf("Messages = %+v", msgs)
		}
	})

	t.Run("ReplaceAndDeleteOriginal", func(t *testing.T) {
		_, ts, _ := api.PostMessage("C0APPROVE", slack.MsgOptionText("Approve?", false))
		url := srv.ResponseURLFor("C0APPROVE", bob.ID, ts)
		if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(url), slack.MsgOptionText("Approved", false)); err != nil {
			t.Fatal(err)
		}
		if m, _ := srv.Message("C0APPROVE", ts); m.Text != "Approved" {
			t.Fatalf("after replace_original: %+v", m)
		}
		if _, _, err := api.PostMessage("", slack.MsgOptionDeleteOriginal(url)); err != nil {
			t.Fatal(err)
		}
		if _, found := srv.Message("C0APPROVE", ts); found {
			t.Fatal("delete_original left the message")
		}
	})

	t.Run("ErrInvalidBlocks", func(t *testing.T) {
		url := srv.NewResponseURL()
		_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionBlocks(section(long(3001))))
		if slackErr(err) != "invalid_blocks" {
			t.Fatalf("got %v, want invalid_blocks", err)
		}
	})

	t.Run("ErrUsedFiveTimes", func(t *testing.T) {
		url := srv.NewResponseURL()
		for i := range 5 {
			if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false)); err != nil {
				t.Fatalf("use %d: %v", i+1, err)
			}
		}
		_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false))
		if slackErr(err) != "used_url" {
			t.Fatalf("sixth use: got %v, want used_url", err)
		}
	})

	t.Run("ErrUnknownURL", func(t *testing.T) {
		_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(srv.NewResponseURL()+"-unknown", slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != 404 {
			t.Fatalf("got %v, want HTTP 404", err)
		}
	})
}
