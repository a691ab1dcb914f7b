package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestLapseStory: an approval whose requester never clicks Reveal token lapses after
// reveal_within (24h by default): no API user was ever made, alice and the approvals
// channel are told, the approval message says so, and a late click is refused.
func TestLapseStory(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	approvedViewerRequest(ctx, t, s)

	s.clock.Advance(24*time.Hour - time.Minute)
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateApproved {
		t.Fatalf("got %s a minute before reveal_within, want approved", r.State)
	}
	s.clock.Advance(time.Minute)
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateLapsed {
		t.Fatalf("got %s, want lapsed", r.State)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool {
		return strings.Contains(t, "lapsed") && strings.Contains(t, "none was ever created")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "lapsed: the token was not revealed") }); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range s.slack.Messages(sandboxChannel) {
		found = found || strings.Contains(m.Text, "The approval of R1 (role viewer) lapsed")
	}
	if !found {
		t.Fatal("the approvals channel was not told")
	}

	// The Reveal DM says so and offers no button; a late click (a stale client) is refused.
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool {
		return strings.Contains(t, "R1") && strings.Contains(t, "lapsed") && !strings.Contains(t, "[Reveal token]")
	}); err != nil {
		t.Fatalf("the Reveal DM still offers the button: %v", err)
	}
	if _, err := s.app.Service().Reveal(ctx, 1, sandboxAlice, func(context.Context, *commands.Request, commands.Token) error { return nil }); err == nil || !strings.Contains(err.Error(), "not revealed in time") {
		t.Fatalf("a late click: got %v, want refused", err)
	}
	if n := s.datacake.CallCount("NewApiUser"); n != 0 {
		t.Fatalf("%d API users created for a lapsed approval", n)
	}
}
