package bot

import (
	"sync"
	"time"
)

// Acknowledgements first. Slack gives a slash command, a click or an event 3 s to be
// acknowledged, and busy moments bring many at once: an incident, and half the team asks
// for access in the same minute. An acknowledgement is cheap; the work it starts is not (the
// store's writes, the calls to Slack and Datacake), and started at once it would share the
// cores with the acknowledgements still queued behind it, one burst's work slowing the
// burst's own answers. So the work Slack's deliveries start, and the outbox's messages, wait
// until no delivery has arrived for ackQuiet, or until they have waited ackHoldMax: a lone
// command's work starts 2 ms later, a burst's runs once its acknowledgements are out, and a
// steady stream releases the work at least every ackHoldMax.
const (
	ackQuiet   = 2 * time.Millisecond
	ackHoldMax = 50 * time.Millisecond
)

// ackFirst is that hold. It runs on the machine's own clock: it orders work on this
// machine's cores and decides nothing. Only the bot's own goroutines use it (Config.Go
// nil): the simulation runs work inline, in the order it chooses.
type ackFirst struct {
	mu sync.Mutex
	// now is the clock; after has check run in d, replacing the check it had planned. Both
	// are called under mu.
	now   func() time.Time
	after func(d time.Duration)
	// held is closed when the hold ends; nil while work may run.
	held chan struct{}
	// last is when the latest delivery arrived, began when the hold did.
	last, began time.Time
}

// newAckFirst is the hold on the machine's clock.
func newAckFirst() *ackFirst {
	a := &ackFirst{now: time.Now}
	var timer *time.Timer
	a.after = func(d time.Duration) {
		if timer == nil {
			timer = time.AfterFunc(d, a.check)
			return
		}
		timer.Reset(d)
	}
	return a
}

// arrived notes a delivery from Slack (a signed request, a Socket Mode envelope) about to be
// acknowledged: work waits behind it.
func (a *ackFirst) arrived() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.last = now
	if a.held != nil {
		return
	}
	a.held, a.began = make(chan struct{}), now
	a.after(ackQuiet)
}

// check ends the hold once deliveries have paused for ackQuiet, or it has lasted
// ackHoldMax; otherwise it looks again when the pause could be long enough.
func (a *ackFirst) check() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held == nil {
		return
	}
	now := a.now()
	quiet, held := now.Sub(a.last), now.Sub(a.began)
	if quiet >= ackQuiet || held >= ackHoldMax {
		close(a.held)
		a.held = nil
		return
	}
	a.after(min(ackQuiet-quiet, ackHoldMax-held))
}

// wait returns once the hold on now, if any, has ended: within ackHoldMax.
func (a *ackFirst) wait() {
	if held := a.hold(); held != nil {
		<-held
	}
}

// hold is the hold on now: closed when it ends; nil for none.
func (a *ackFirst) hold() <-chan struct{} {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.held
}
