package commands_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// alarmClock is a settable clock with one timer, as the Alarm uses it: each At replaces
// the timer before it (an Alarm abandons its wait when woken), and armed says when one is set.
type alarmClock struct {
	*commandstest.Clock
	mu       sync.Mutex
	deadline time.Time
	fire     chan time.Time
	armed    chan struct{}
}

func (c *alarmClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline, c.fire = t, make(chan time.Time, 1)
	c.armed <- struct{}{}
	return c.fire
}

// fireTimer moves the clock to the timer's deadline and fires it, returning the deadline.
func (c *alarmClock) fireTimer() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deadline.After(c.Clock.Now()) {
		c.Clock.Set(c.deadline)
	}
	c.fire <- c.deadline
	return c.deadline
}

// recv waits for ch, failing the test after a deadline rather than hanging.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// Point 5 of issue 11: the alarm sweeps at the very moment a grant ends and a reminder is
// due, not at the next cron tick.
func TestAlarmSweepsAtTheGrantsEnd(t *testing.T) {
	e := newEnv(t)
	clock := &alarmClock{Clock: e.clock, armed: make(chan struct{}, 16)}
	e.svc.Clock = clock
	swept := make(chan time.Time, 16)
	alarm := &commands.Alarm{Service: e.svc, Sweep: func(ctx context.Context) {
		e.svc.ExpireDue(ctx)
		e.svc.RemindDue(ctx)
		swept <- clock.Now()
	}}
	e.svc.Waker = alarm
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { alarm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	recv(t, clock.armed, "the alarm to arm with nothing due")
	r := e.active(t) // 8h; its 1h reminder is due at 7h
	recv(t, clock.armed, "the alarm to re-arm for the new grant")
	end := r.Grant.ExpiresAt
	for {
		at := clock.fireTimer()
		if at.After(end) {
			t.Fatalf("the alarm slept past the grant's end, to %v", at)
		}
		if at.Equal(end.Add(-time.Hour)) || at.Equal(end) {
			recv(t, swept, "a sweep") // between them it only looks again
		}
		if at.Equal(end) {
			break
		}
		recv(t, clock.armed, "the alarm to re-arm")
	}
	if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok {
		t.Fatal("the API user outlived its grant's end")
	}
	at := map[string]time.Time{}
	for _, ev := range e.store.AuditEvents(r.ID) {
		at[ev.Action] = ev.At
	}
	if !at["reminded"].Equal(end.Add(-time.Hour)) {
		t.Errorf("reminded at %v, want exactly 1h before the end (%v)", at["reminded"], end.Add(-time.Hour))
	}
	if !at["expired"].Equal(end) {
		t.Errorf("expired at %v, want exactly at the end (%v)", at["expired"], end)
	}
}

func TestNextDue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if next, err := e.svc.NextDue(ctx, start); err != nil || !next.IsZero() {
		t.Fatalf("nothing stored: got %v %v, want zero", next, err)
	}
	r := e.active(t) // ends start+8h; 1h reminder at start+7h
	for _, tc := range []struct {
		now, want time.Time
	}{
		{start, time.Time{}}, // beyond AlarmMaxWait
		{start.Add(7*time.Hour - time.Minute), start.Add(7 * time.Hour)}, // the reminder
		{start.Add(7*time.Hour + time.Second), start.Add(7 * time.Hour)}, // overdue: at once
		{r.Grant.ExpiresAt.Add(-30 * time.Second), start.Add(7 * time.Hour)},
	} {
		if got, _ := e.svc.NextDue(ctx, tc.now); !got.Equal(tc.want) {
			t.Errorf("NextDue(%v) = %v, want %v", tc.now, got, tc.want)
		}
	}
	e.clock.Advance(7 * time.Hour)
	e.svc.RemindDue(ctx)
	if got, _ := e.svc.NextDue(ctx, r.Grant.ExpiresAt.Add(-30*time.Second)); !got.Equal(r.Grant.ExpiresAt) {
		t.Errorf("after the reminder: NextDue = %v, want the end %v", got, r.Grant.ExpiresAt)
	}
	e.clock.Advance(time.Hour)
	e.svc.ExpireDue(ctx)
	if got, _ := e.svc.NextDue(ctx, e.clock.Now()); !got.IsZero() {
		t.Errorf("after the expiry: NextDue = %v, want zero", got)
	}
}

// A grant the sweep cannot move (the store refuses writes) is retried a second later, not
// in a busy loop.
func TestAlarmDoesNotSpinWhenStuck(t *testing.T) {
	e := newEnv(t)
	r := e.active(t)
	clock := &alarmClock{Clock: e.clock, armed: make(chan struct{}, 16)}
	e.svc.Clock = clock
	e.svc.Store = failingUpdates{e.store}
	e.clock.Advance(r.Duration + time.Minute) // overdue
	swept := make(chan time.Time, 16)
	alarm := &commands.Alarm{Service: e.svc, Sweep: func(ctx context.Context) {
		e.svc.ExpireDue(ctx)
		swept <- clock.Now()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { alarm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	recv(t, clock.armed, "the alarm to arm")
	clock.fireTimer()
	first := recv(t, swept, "the first sweep")
	recv(t, clock.armed, "the alarm to re-arm")
	if again := clock.fireTimer(); again.Sub(first) != time.Second {
		t.Fatalf("re-armed %v after a sweep that moved nothing, want 1s", again.Sub(first))
	}
	recv(t, swept, "the second sweep")
}

// With nothing due within its look-ahead the alarm wakes only to look again: it does not
// sweep (the cron sweeps do, every minute), and it looks again AlarmMaxWait later.
func TestAlarmWithNothingDueOnlyLooks(t *testing.T) {
	e := newEnv(t)
	clock := &alarmClock{Clock: e.clock, armed: make(chan struct{}, 16)}
	e.svc.Clock = clock
	swept := make(chan struct{}, 16)
	alarm := &commands.Alarm{Service: e.svc, Sweep: func(context.Context) { swept <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { alarm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	recv(t, clock.armed, "the alarm to arm")
	first := clock.fireTimer()
	recv(t, clock.armed, "the alarm to look again")
	if again := clock.fireTimer(); again.Sub(first) != commands.AlarmMaxWait {
		t.Fatalf("looked again %v later, want %v", again.Sub(first), commands.AlarmMaxWait)
	}
	recv(t, clock.armed, "the alarm to look again")
	select {
	case <-swept:
		t.Fatal("the alarm swept with nothing due")
	default:
	}

	// A grant ending within the look-ahead is swept at its end.
	r := e.active(t)
	alarm.Wake()
	recv(t, clock.armed, "the alarm to re-arm after Wake")
	if at := clock.fireTimer(); !at.Equal(r.Grant.ExpiresAt) && at.Sub(e.clock.Now()) > commands.AlarmMaxWait {
		t.Fatalf("armed for %v", at)
	}
}

// A sweep that panics does not take the alarm, or the process, down.
func TestAlarmSurvivesAPanickingSweep(t *testing.T) {
	e := newEnv(t)
	r := e.active(t)
	clock := &alarmClock{Clock: e.clock, armed: make(chan struct{}, 16)}
	e.svc.Clock = clock
	e.clock.Advance(r.Duration)
	swept := make(chan struct{}, 16)
	alarm := &commands.Alarm{Service: e.svc, Sweep: func(context.Context) {
		swept <- struct{}{}
		panic("boom")
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { alarm.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for range 2 {
		recv(t, clock.armed, "the alarm to arm")
		clock.fireTimer()
		recv(t, swept, "a sweep")
	}
}
