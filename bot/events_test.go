package bot

import (
	"fmt"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

func TestEventDedupe(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	// The ttl a Bot uses must outlast Slack's retries: at once, after 1 minute, after 5.
	d := &New(Config{Service: &commands.Service{}}).events

	if d.seen("Ev1", t0) {
		t.Fatal("a new event counts as seen")
	}
	for _, after := range []time.Duration{0, time.Minute, 5*time.Minute + 30*time.Second} {
		if !d.seen("Ev1", t0.Add(after)) {
			t.Fatalf("Slack's retry after %v is not recognised", after)
		}
	}
	if d.seen("Ev2", t0) {
		t.Fatal("a different event counts as seen")
	}
	if first, second := d.seen("", t0), d.seen("", t0); first || second {
		t.Fatal("an event without an id was dropped: it cannot be told apart from another")
	}
	// Long after the ttl, an id is new again (and recorded afresh).
	later := t0.Add(d.ttl + time.Second)
	if d.seen("Ev1", later) {
		t.Fatal("an id is remembered past the ttl")
	}
	if !d.seen("Ev1", later.Add(time.Second)) {
		t.Fatal("an id seen again after the ttl is not recorded afresh")
	}
}

func TestEventDedupeForgetsOldIDs(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	d := &eventDedupe{ttl: 15 * time.Minute}
	for i := range 10001 {
		d.seen(fmt.Sprintf("Ev%05d", i), t0)
	}
	d.seen("EvRecent", t0.Add(10*time.Minute))
	later := t0.Add(16 * time.Minute)
	d.seen("EvNew", later) // the expired ones go
	if n := len(d.ids); n != 2 {
		t.Fatalf("%d ids remembered, want the 2 within the ttl", n)
	}
	if !d.seen("EvRecent", later) {
		t.Fatal("an id within the ttl was forgotten")
	}
}

// BenchmarkReplaySeen records one delivery while 10 or 100,000 others are remembered
// within the replay window: the cost must not grow with them (issue 27).
func BenchmarkReplaySeen(b *testing.B) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, live := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("remembered=%d", live), func(b *testing.B) {
			d := &eventDedupe{ttl: replayWindow}
			for i := range live {
				d.seen(fmt.Sprintf("sig:%d", i), t0)
			}
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = fmt.Sprintf("new:%d", i)
			}
			b.ResetTimer()
			for i := range b.N {
				d.seen(ids[i], t0.Add(time.Second))
			}
		})
	}
}
