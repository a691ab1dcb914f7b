package sandbox

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// TestDeactivationStory: alice holds a token and waits for another; her Slack account is
// deactivated. The user_change event revokes the grant (its API user is deleted) and
// cancels the request, with reason deactivated, and the approvals channel is told.
func TestDeactivationStory(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		s := startSandbox(t, sandboxOptions{socketMode: socket})
		ctx := testContext(t)
		approveR1(t, ctx, s, "8h")
		if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="another"`); err != nil {
			t.Fatal(err)
		}
		// Someone else's profile changes: nothing happens.
		if err := s.event(ctx, fmt.Appendf(nil, `{"type":"user_change","user":{"id":%q,"deleted":false},"event_ts":"1795770000.000200"}`, sandboxAlice)); err != nil {
			t.Fatal(err)
		}
		if err := s.event(ctx, fmt.Appendf(nil, `{"type":"user_change","user":{"id":%q,"deleted":true},"event_ts":"1795770000.000300"}`, sandboxAlice)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Revoked by cakegate") }); err != nil {
			t.Fatal(err)
		}
		if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
			n := 0
			for _, m := range srv.Messages(sandboxChannel) {
				if strings.Contains(m.Text, "their Slack account was deactivated") {
					n++
				}
			}
			return n == 2
		}); err != nil {
			t.Fatalf("the approvals channel was not told of both: %v", err)
		}
		for id, want := range map[commands.RequestID]commands.State{1: commands.StateRevoked, 2: commands.StateCancelled} {
			if r := s.request(t, ctx, id); r.State != want || r.DecisionNote != commands.DeactivatedReason {
				t.Errorf("%s: %s (%q), want %s (deactivated)", id, r.State, r.DecisionNote, want)
			}
		}
		if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
			t.Fatalf("%d API users left after the deactivation", n)
		}
	})
}

// TestLeaversSweep: the user_change event was missed; the daily sweep asks Slack about
// every holder of a grant, and ends the access of one Slack reports deactivated.
func TestLeaversSweep(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	s.slack.AddUser(slacktest.User{ID: sandboxAlice, Name: "alice", Deleted: true})
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateRevoked || r.DecisionNote != commands.DeactivatedReason {
		t.Fatalf("got %s (%q), want revoked, deactivated", r.State, r.DecisionNote)
	}
	if n := len(s.slack.CallsTo("users.info")); n == 0 {
		t.Fatal("Slack was not asked")
	}
}

// TestDisabledAnswerEndsAccess: the user_change event was missed, but a direct message
// cakegate sends her (here the expiry reminder) meets Slack's user_disabled: her access ends
// then, not at the next daily leavers sweep.
func TestDisabledAnswerEndsAccess(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{log: logs})
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	s.slack.AddUser(slacktest.User{ID: sandboxAlice, Name: "alice", Deleted: true})
	s.clock.Advance(7*time.Hour + time.Minute) // the 1-hour reminder is due
	if err := s.app.RunJob(ctx, "remind"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Revoked by cakegate") }); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateRevoked || r.DecisionNote != commands.DeactivatedReason {
		t.Fatalf("got %s (%q), want revoked, deactivated", r.State, r.DecisionNote)
	}
	if !strings.Contains(logs.String(), "Slack says the account is deactivated; ending its access") {
		t.Fatal("the access was not ended by the user_disabled answer")
	}
}

// TestDisabledAnswerOfAnActiveAccount: Slack refuses the reminder to alice with
// user_disabled, but users.info says her account is active: her grant stays, and she is not
// recorded as gone (which would refuse her next request).
func TestDisabledAnswerOfAnActiveAccount(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{log: logs})
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	s.slack.BlockDMs(sandboxAlice, "user_disabled")
	s.clock.Advance(7*time.Hour + time.Minute) // the 1-hour reminder is due
	if err := s.app.RunJob(ctx, "remind"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Bot().Shutdown(ctx); err != nil { // the check with Slack runs in the background
		t.Fatal(err)
	}
	if len(s.slack.CallsTo("users.info")) == 0 {
		t.Fatal("Slack was not asked whether the account is active")
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateActive {
		t.Fatalf("R1 is %s (%q), want still active", r.State, r.DecisionNote)
	}
	if _, gone, err := s.app.Store().DeactivatedAt(ctx, sandboxAlice); err != nil || gone {
		t.Fatalf("alice recorded as deactivated: %v, %v", gone, err)
	}
	if !strings.Contains(logs.String(), "its access stays") {
		t.Fatal("the refused message was not logged")
	}
}
