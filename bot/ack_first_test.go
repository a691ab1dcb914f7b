package bot

import (
	"testing"
	"time"
)

// ended reports whether work waiting for hold would run now.
func ended(hold <-chan struct{}) bool {
	if hold == nil {
		return true
	}
	select {
	case <-hold:
		return true
	default:
		return false
	}
}

func TestAckFirstHoldsWorkWhileDeliveriesArrive(t *testing.T) {
	a := newAckFirst()
	advance := manualClock(a)
	if !ended(a.hold()) {
		t.Fatal("work held with no delivery arriving")
	}
	a.arrived()
	hold := a.hold()
	// Deliveries keep arriving, 1 ms apart, for 20 ms: the work waits.
	for i := range 20 {
		advance(time.Millisecond)
		a.arrived()
		if ended(hold) {
			t.Fatalf("work ran after %d ms, while deliveries were still arriving", i+1)
		}
	}
	// They pause: the work runs ackQuiet after the last one, and nothing waits after.
	advance(ackQuiet - time.Microsecond)
	if ended(hold) {
		t.Fatal("work ran before the deliveries had paused for ackQuiet")
	}
	advance(time.Microsecond)
	if !ended(hold) {
		t.Fatalf("work still held %v after the last delivery", ackQuiet)
	}
	if !ended(a.hold()) {
		t.Fatal("work held after the hold ended")
	}
	a.wait() // returns at once
}

func TestAckFirstReleasesASteadyStreamWithinHoldMax(t *testing.T) {
	a := newAckFirst()
	advance := manualClock(a)
	for round := range 3 {
		a.arrived()
		hold := a.hold()
		var held time.Duration
		for ; held < ackHoldMax; held += time.Millisecond / 2 {
			if ended(hold) {
				t.Fatalf("round %d: work ran after %v, while deliveries arrived every 0.5 ms", round, held)
			}
			advance(time.Millisecond / 2)
			a.arrived() // the one as the hold ends starts the next
		}
		if !ended(hold) {
			t.Fatalf("round %d: work still held after %v of a steady stream; at most %v", round, held, ackHoldMax)
		}
	}
}
