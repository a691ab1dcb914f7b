package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestTimelineExpiryOnTime (issue 11, point 5): with the default schedule, nothing but the
// clock reaching a grant's end deletes its API user, and its reminder goes out at its time:
// the alarm, not the next cron tick (a minute of real time away here).
func TestTimelineExpiryOnTime(t *testing.T) {
	s := startSandbox(t, sandboxOptions{alarm: true})
	// The cron sweeps run on the real clock, a minute apart: only the alarm can meet this.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	approveR1(t, ctx, s, "2h")
	r := s.request(t, ctx, 1)
	if r.State != commands.StateActive {
		t.Fatalf("got %s, want active", r.State)
	}

	s.clock.Advance(time.Hour) // the 1h reminder is due
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "in about 1h") }); err != nil {
		t.Fatalf("no reminder at its time: %v", err)
	}
	if n := s.datacake.CallCount("DeleteApiUser"); n != 0 {
		t.Fatalf("%d deletes before the grant's end", n)
	}
	s.clock.Advance(time.Hour) // the end
	if err := s.datacake.WaitAnswered(ctx, "DeleteApiUser", 1); err != nil {
		t.Fatalf("the API user was not deleted at the grant's end: %v", err)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "has expired") }); err != nil {
		t.Fatal(err)
	}
}
