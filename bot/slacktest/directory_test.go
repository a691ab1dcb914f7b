package slacktest_test

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

func TestUsersInfo(t *testing.T) {
	summer := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	srv := mustStart(t, slacktest.WithClock(func() time.Time { return summer }))
	api := client(srv)
	u, err := api.GetUserInfo(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || u.Name != "alice" || u.RealName != "Alice Archer" || u.Profile.RealName != "Alice Archer" || u.TZ != "Europe/Berlin" || u.TZOffset != 7200 {
		t.Fatalf("GetUserInfo = %+v", u)
	}
	if _, err := api.GetUserInfo("U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Fatalf("got %v, want user_not_found", err)
	}
}

func TestUserGroupMembers(t *testing.T) {
	srv := mustStart(t)
	srv.AddUserGroup("S0OWNERS", alice.ID, bob.ID)
	api := client(srv)
	members, err := api.GetUserGroupMembers("S0OWNERS")
	if err != nil || len(members) != 2 || members[0] != alice.ID {
		t.Fatalf("GetUserGroupMembers = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembers("S0NONE"); slackErr(err) != "no_such_subteam" {
		t.Fatalf("got %v, want no_such_subteam", err)
	}
}

func TestConversations(t *testing.T) {
	srv := mustStart(t)
	srv.AddChannel("C0DATA", "data-access")
	api := client(srv)

	t.Run("Open", func(t *testing.T) {
		ch, _, already, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice.ID}})
		if err != nil || ch.ID != slacktest.DMChannel(alice.ID) || already {
			t.Fatalf("first open: %+v already=%v err=%v", ch, already, err)
		}
		ch, _, already, err = api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice.ID}, ReturnIM: true})
		if err != nil || !already || !ch.IsIM || ch.User != alice.ID {
			t.Fatalf("second open: %+v already=%v err=%v", ch, already, err)
		}
	})

	t.Run("ErrOpenUnknownUser", func(t *testing.T) {
		_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U0NOBODY"}})
		if slackErr(err) != "user_not_found" {
			t.Fatalf("got %v, want user_not_found", err)
		}
	})

	t.Run("ErrOpenDeactivated", func(t *testing.T) {
		srv.AddUser(slacktest.User{ID: "U0GONE", Name: "gone", Deleted: true})
		_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U0GONE"}})
		if slackErr(err) != "user_disabled" {
			t.Fatalf("got %v, want user_disabled", err)
		}
	})

	t.Run("Info", func(t *testing.T) {
		ch, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0DATA"})
		if err != nil || ch.Name != "data-access" || !ch.IsChannel || !ch.IsMember {
			t.Fatalf("GetConversationInfo = %+v, %v", ch, err)
		}
		dm, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: slacktest.DMChannel(bob.ID)})
		if err != nil || !dm.IsIM || dm.User != bob.ID {
			t.Fatalf("DM info = %+v, %v", dm, err)
		}
		srv.SetChannelNotFound("C0GONE")
		if _, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0GONE"}); slackErr(err) != "channel_not_found" {
			t.Fatalf("got %v, want channel_not_found", err)
		}
	})
}
