package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// TestLapseStory: an approval whose requester never clicks Reveal token lapses after
// reveal_within (24h by default): no API user was ever made, alice and the approvals
// channel are told, the approval message says so, and a late click is refused.
func TestLapseStory(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	reveal := approvedViewerRequest(ctx, t, s)
	// Alice's client still shows the button when she clicks it, too late.
	stale, err := s.slack.ButtonClick(sandboxAlice, reveal.Channel, reveal.TS, "cakegate_reveal")
	if err != nil {
		t.Fatal(err)
	}

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

	// The Reveal DM itself says so and offers no button; a late click (a stale client) is
	// refused.
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, d := range srv.DMs(sandboxAlice) {
			if d.TS == reveal.TS {
				text := srv.RenderMessage(d)
				return strings.Contains(text, "lapsed") && !strings.Contains(text, "[Reveal token]")
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the Reveal DM still offers the button: %v", err)
	}
	if _, err := s.interact(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if answer, err := s.answer(ctx, stale.ResponseURL); err != nil || !strings.Contains(answer, "not revealed in time") {
		t.Fatalf("a late click: got %q, %v; want refused", answer, err)
	}
	if n := s.datacake.CallCount("NewApiUser"); n != 0 {
		t.Fatalf("%d API users created for a lapsed approval", n)
	}
}
