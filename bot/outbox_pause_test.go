package bot

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestDeliverOutboxPausesAfter429: after Slack answers 429, the rest of the queue waits for
// Retry-After too, instead of hitting the limit again at once.
func TestDeliverOutboxPausesAfter429(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	for id := uint64(8); id <= 10; id++ {
		outbox.Enqueue(commands.Notification{ID: id, Kind: commands.NotifyApprovers, Text: "alert", CreatedAt: clock.Now()})
	}
	fake.RateLimitNext("chat.postMessage", 1, 20*time.Second)
	if n := deliverOutbox(t, b); n != 0 {
		t.Fatalf("delivered %d in the run that met a 429", n)
	}
	if calls := len(fake.CallsTo("chat.postMessage")); calls != 1 {
		t.Fatalf("%d calls after a 429, want the one that was refused", calls)
	}
	clock.Advance(10 * time.Second)
	if n := deliverOutbox(t, b); n != 0 || len(fake.CallsTo("chat.postMessage")) != 1 {
		t.Fatalf("delivered %d before Retry-After passed", n)
	}
	clock.Advance(10 * time.Second)
	if n := deliverOutbox(t, b); n != 4 {
		t.Fatalf("delivered %d once Retry-After passed, want all 4", n)
	}
}
