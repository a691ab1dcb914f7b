package bot

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// TestDeliverOutboxArchivedChannel: while the approvals channel is archived, each run asks
// Slack once, not once per queued notification; every notification still counts its
// attempts and keeps its error, they are tried again together, and all are delivered once
// the channel is back. Another conversation is not held by it.
func TestDeliverOutboxArchivedChannel(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	for id := uint64(8); id <= 10; id++ {
		outbox.Enqueue(commands.Notification{ID: id, Kind: commands.NotifyApprovers, Text: "alert", CreatedAt: clock.Now()})
	}
	outbox.Enqueue(commands.Notification{ID: 11, Kind: commands.NotifyUser, To: "U0BOB", Text: "to Bob", CreatedAt: clock.Now()})
	fake.AddUser(slacktest.User{ID: "U0BOB", Name: "bob"})
	fake.SetChannelNotFound(outboxChannel)
	postsToChannel := func() int {
		n := 0
		for _, c := range fake.CallsTo("chat.postMessage") {
			if c.Params["channel"] == outboxChannel {
				n++
			}
		}
		return n
	}

	for round := 1; round <= 3; round++ {
		before := postsToChannel()
		wantDelivered := 0
		if round == 1 {
			wantDelivered = 1 // Bob's DM: another conversation
		}
		if n := deliverOutbox(t, b); n != wantDelivered {
			t.Fatalf("round %d delivered %d, want %d", round, n, wantDelivered)
		}
		if calls := postsToChannel() - before; calls != 1 {
			t.Fatalf("round %d asked Slack %d times for the archived channel, want once", round, calls)
		}
		var at time.Time
		for id := uint64(7); id <= 10; id++ {
			n, ok := outbox.Queued(id)
			if !ok || n.Attempts != round || n.LastError == "" {
				t.Fatalf("round %d: notification %d is %+v (queued %v), want %d attempts and the error", round, id, n, ok, round)
			}
			if at.IsZero() {
				at = n.NextAttemptAt
			} else if !n.NextAttemptAt.Equal(at) {
				t.Fatalf("round %d: notification %d is retried at %v, the first at %v: want together", round, id, n.NextAttemptAt, at)
			}
		}
		clock.Set(at)
	}

	fake.SetChannelError(outboxChannel, "")
	if n := deliverOutbox(t, b); n != 4 {
		t.Fatalf("delivered %d once the channel was back, want all 4", n)
	}
}

// A conversation that is merely failing (a 500) is not taken for gone: each notification is
// tried on its own.
func TestDeliverOutboxServerErrorIsNotGone(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	outbox.Enqueue(commands.Notification{ID: 8, Kind: commands.NotifyApprovers, Text: "alert", CreatedAt: clock.Now()})
	fake.FailNext("chat.postMessage", 1, "internal_error")
	if n := deliverOutbox(t, b); n != 1 {
		t.Fatalf("delivered %d, want the second after the first met a 500", n)
	}
}
