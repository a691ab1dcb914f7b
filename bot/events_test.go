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
	d.seen("EvNew", later) // more than 10000 ids: the expired ones go
	if n := len(d.ids); n != 2 {
		t.Fatalf("%d ids remembered, want the 2 within the ttl", n)
	}
	if !d.seen("EvRecent", later) {
		t.Fatal("an id within the ttl was forgotten")
	}
}
