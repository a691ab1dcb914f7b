package bot

import "time"

// What the external tests share with the internal ones.
var (
	// LeakShapes are leakShapes, for the tests that send them over both transports.
	LeakShapes = leakShapes
)

// LeakShapeChannel is leakShapeChannel.
const LeakShapeChannel = leakShapeChannel

// HoldOnManualClock puts b's hold of work behind acknowledgements (ack_first.go) on a clock
// the test moves, ending a hold that is on; advance moves the clock on by d, running the
// check the hold planned if it comes due on the way.
func HoldOnManualClock(b *Bot) (advance func(d time.Duration)) {
	return manualClock(b.ackFirst)
}

func manualClock(a *ackFirst) (advance func(d time.Duration)) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var checkAt time.Time // zero: no check planned
	a.mu.Lock()
	a.now = func() time.Time { return at }
	a.after = func(d time.Duration) { checkAt = at.Add(d) }
	if a.held != nil {
		close(a.held)
		a.held = nil
	}
	a.mu.Unlock()
	return func(d time.Duration) {
		a.mu.Lock()
		end := at.Add(d)
		for !checkAt.IsZero() && !checkAt.After(end) {
			at, checkAt = checkAt, time.Time{}
			a.mu.Unlock()
			a.check()
			a.mu.Lock()
		}
		at = end
		a.mu.Unlock()
	}
}
