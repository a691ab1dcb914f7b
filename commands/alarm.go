package commands

import (
	"context"
	"slices"
	"sync"
	"time"
)

// AlarmMaxWait is the longest the alarm sleeps without looking again. It bounds how far
// ahead NextDue reads the expiry index, so each look costs what is due soon, not what is
// stored; the cron sweeps stay the safety net for anything else (after downtime, a failed
// write).
const AlarmMaxWait = time.Minute

// alarmMinWait keeps a sweep that could not move what is due (the store refuses writes)
// from spinning: the alarm waits at least this long before sweeping again.
const alarmMinWait = time.Second

// Timers waits for the clock to reach a time. SystemClock's waits on the real clock; tests
// inject a clock whose waits end when it is advanced. The time is absolute, so a clock
// advanced between reading it and arming a timer cannot leave the timer set too late.
type Timers interface {
	At(t time.Time) <-chan time.Time
}

// At waits on the real clock until t.
func (SystemClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// Alarm runs the expiry and reminder sweeps at the moment something is due: the earliest
// end of a grant (so its API user is deleted within moments of its end, not up to a cron
// interval later) or the earliest reminder. It re-arms whenever a grant is recorded
// (Wake) and after every sweep.
type Alarm struct {
	Service *Service
	// Sweep runs what is due: the expiry and reminder sweeps, then delivery.
	Sweep func(ctx context.Context)

	once sync.Once
	wake chan struct{}
}

// Wake tells the alarm that a grant's end was recorded, so it looks again. It never blocks.
func (a *Alarm) Wake() {
	a.init()
	select {
	case a.wake <- struct{}{}:
	default: // already woken
	}
}

func (a *Alarm) init() { a.once.Do(func() { a.wake = make(chan struct{}, 1) }) }

// Run sleeps until the next thing is due, sweeps, and again, until ctx ends.
func (a *Alarm) Run(ctx context.Context) {
	a.init()
	s := a.Service
	timers, ok := s.Clock.(Timers)
	if !ok {
		timers = SystemClock{}
	}
	var swept time.Time // when the last sweep started
	for {
		now := s.now()
		at := now.Add(AlarmMaxWait)
		// sweep is false when NextDue found nothing within AlarmMaxWait: the alarm then
		// wakes only to look again, since the cron sweeps run anyway. When NextDue fails it
		// sweeps at the longest wait, not knowing what is due.
		sweep := true
		if next, err := s.NextDue(ctx, now); err != nil {
			s.log().Warn("alarm: find the next due time", "err", err)
		} else if next.IsZero() {
			sweep = false
		} else {
			at = next
			if !next.After(swept) {
				// It was already due when the last sweep started and is still there: that
				// sweep could not move it (the store refuses writes, say). Do not spin.
				at = swept.Add(alarmMinWait)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
			continue
		case <-timers.At(at):
		}
		if !sweep {
			continue
		}
		swept = s.now()
		a.sweep(ctx)
	}
}

// sweep runs Sweep, surviving a panic as the scheduler's jobs do: the cron safety net and
// the next alarm still come.
func (a *Alarm) sweep(ctx context.Context) {
	defer func() {
		if p := recover(); p != nil {
			a.Service.log().Error("alarm: sweep panicked", "panic", p)
		}
	}()
	a.Sweep(ctx)
}

// NextDue returns when the next grant ends, the next reminder is due or the next scheduled
// request starts, as seen from now,
// if that is within AlarmMaxWait; the zero time if nothing is. Something already due
// returns a time at or before now.
func (s *Service) NextDue(ctx context.Context, now time.Time) (time.Time, error) {
	horizon := now.Add(AlarmMaxWait)
	lead := time.Duration(0)
	if len(s.Policy.Reminders) > 0 {
		lead = max(slices.Max(s.Policy.Reminders), 0)
	}
	rs, err := s.Store.ExpiringBefore(ctx, horizon.Add(lead))
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	earlier := func(t time.Time) {
		if !t.After(horizon) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	// The starts of approved scheduled requests: their requesters are told at the start.
	approved, err := s.Store.InState(ctx, StateApproved)
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range approved {
		if !r.StartAt.IsZero() && !r.StartTold {
			earlier(r.StartAt)
		}
	}
	for _, r := range rs {
		if !mayEnd(r) {
			continue // revoking: its retries keep their backoff, on the cron sweep
		}
		earlier(r.Grant.ExpiresAt)
		if r.State != StateActive {
			continue
		}
		life := r.Grant.ExpiresAt.Sub(r.Grant.CreatedAt)
		for _, l := range s.Policy.Reminders {
			if l > 0 && l < life && !slices.Contains(r.Grant.RemindersSent, l) && now.Before(r.Grant.ExpiresAt) {
				earlier(r.Grant.ExpiresAt.Add(-l))
			}
		}
	}
	return next, nil
}
