package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

func TestSchedulerRefusesABadSpec(t *testing.T) {
	_, err := newScheduler(time.UTC, slog.New(slog.DiscardHandler), []job{{"expire", "every minute", nil}})
	if err == nil || !strings.Contains(err.Error(), `schedule.expire "every minute" is not a cron spec`) {
		t.Fatalf("got %v", err)
	}
}

// TestSchedulerRunsOnceAtStartRecoversAndSkips: every job runs once at start; a job that
// panics is recovered and logged; a job still running is not started again.
func TestSchedulerRunsOnceAtStartRecoversAndSkips(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	var counted, blocked atomic.Int32
	ran := make(chan struct{}, 10)
	release := make(chan struct{})
	jobs := []job{
		{"count", "@every 1h", func(context.Context) error { counted.Add(1); ran <- struct{}{}; return nil }},
		{"panic", "@every 1h", func(context.Context) error { ran <- struct{}{}; panic("boom") }},
		{"slow", "@every 1h", func(context.Context) error {
			blocked.Add(1)
			ran <- struct{}{}
			<-release
			return errors.New("slow job failed")
		}},
	}
	s, err := newScheduler(time.UTC, log, jobs)
	if err != nil {
		t.Fatal(err)
	}
	var panics atomic.Int32
	s.onPanic = func(where string) {
		if where == "job" {
			panics.Add(1)
		}
	}
	s.start(context.Background())
	deadline := time.After(10 * time.Second)
	for range 3 {
		select {
		case <-ran:
		case <-deadline:
			t.Fatal("not every job ran at start")
		}
	}
	// A tick of the slow job while its first run is still going is skipped.
	for _, e := range s.cron.Entries() {
		e.WrappedJob.Run() // count runs again; panic recovers again; slow is skipped
	}
	if n := blocked.Load(); n != 1 {
		t.Fatalf("the slow job started %d times, want once", n)
	}
	if n := counted.Load(); n != 2 {
		t.Fatalf("the counting job ran %d times, want twice", n)
	}
	close(release)
	s.stop()
	out := logs.String()
	// The second run of the panicking job may be skipped, its first still unwinding.
	if n := panics.Load(); n < 1 {
		t.Fatal("the panic was not counted")
	}
	if !strings.Contains(out, "scheduler: panic") || !strings.Contains(out, "boom") {
		t.Fatalf("the panic was not logged:\n%s", out)
	}
	if !strings.Contains(out, `job=slow`) || !strings.Contains(out, "slow job failed") {
		t.Fatalf("the failed job was not logged:\n%s", out)
	}
}

// The leavers sweep runs at start too, so a daily run missed while cakegate was down is made
// up at once; but it runs beside the others: CaughtUp does not wait for it, since its pace
// (Slack's users.info limit) may take minutes.
func TestSchedulerRunsLeaversAtStartWithoutHoldingCaughtUp(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	jobs := []job{
		{"expire", "@every 1h", func(context.Context) error { return nil }},
		{"leavers", "@daily", func(context.Context) error {
			close(started)
			<-release
			return nil
		}},
	}
	s, err := newScheduler(time.UTC, slog.New(slog.DiscardHandler), jobs)
	if err != nil {
		t.Fatal(err)
	}
	s.start(context.Background())
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the leavers sweep did not run at start")
	}
	select {
	case <-s.caughtUp:
	case <-time.After(10 * time.Second):
		t.Fatal("CaughtUp waited for the leavers sweep")
	}
	// stop waits for it (the store is closed after stop).
	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while the leavers sweep was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return once the leavers sweep ended")
	}
}

// TestSchedulerRetriesAFailedRunSoon: a run that fails is run again after retryAfter, not
// only at its next tick (an hour here); once it succeeds, no more retries follow; a retry
// still waiting when the scheduler stops gives up.
func TestSchedulerRetriesAFailedRunSoon(t *testing.T) {
	var runs atomic.Int32
	ran := make(chan int32, 10)
	jobs := []job{{"reconcile", "@every 1h", func(context.Context) error {
		n := runs.Add(1)
		ran <- n
		if n < 3 {
			return errors.New("the disk is full")
		}
		return nil
	}}}
	s, err := newScheduler(time.UTC, slog.New(slog.DiscardHandler), jobs)
	if err != nil {
		t.Fatal(err)
	}
	s.retryAfter = time.Millisecond
	s.start(context.Background())
	deadline := time.After(10 * time.Second)
	for want := int32(1); want <= 3; want++ {
		select {
		case n := <-ran:
			if n != want {
				t.Fatalf("run %d, want %d", n, want)
			}
		case <-deadline:
			t.Fatalf("run %d did not come: a failed run was not retried", want)
		}
	}
	s.stop()
	if n := runs.Load(); n != 3 {
		t.Fatalf("%d runs, want 3: a run that succeeded was retried", n)
	}

	// A retry that waits when the scheduler stops gives up rather than holding stop.
	failing := []job{{"reconcile", "@every 1h", func(context.Context) error { return errors.New("down") }}}
	s, err = newScheduler(time.UTC, slog.New(slog.DiscardHandler), failing)
	if err != nil {
		t.Fatal(err)
	}
	s.start(context.Background()) // retryAfter is a minute
	<-s.caughtUp
	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop waited for a retry a minute away")
	}
}

// TestSchedulerKeepsOneRetryOfAJobThatKeepsFailing: a job that always fails has one retry
// waiting at a time, and its tick drops the one waiting; retries of retries and of ticks no
// longer pile up, so the job runs about as often every second, not more often with every
// tick (88 runs in 6 s before, where one retry at a time gives about 24).
func TestSchedulerKeepsOneRetryOfAJobThatKeepsFailing(t *testing.T) {
	ran := make(chan struct{}, 1000)
	jobs := []job{{"reconcile", "@every 1s", func(context.Context) error {
		ran <- struct{}{}
		return errors.New("the disk is full")
	}}}
	s, err := newScheduler(time.UTC, slog.New(slog.DiscardHandler), jobs)
	if err != nil {
		t.Fatal(err)
	}
	s.retryAfter = 300 * time.Millisecond
	s.start(context.Background())
	defer s.stop()
	// In 3 s: the run at start, a tick each second (the first may come at once) and three
	// retries after each, since a retry comes 300 ms after the run before it with no other
	// run between: 14 at most.
	const most = 14
	window := time.After(3 * time.Second)
	runs := 0
	for open := true; open; {
		select {
		case <-ran:
			runs++
		case <-window:
			open = false
		}
	}
	t.Logf("%d runs in 3 s", runs)
	if runs > most {
		t.Fatalf("%d runs in 3 s, want %d at most: failed runs piled up retries", runs, most)
	}
	if runs < 4 {
		t.Fatalf("%d runs in 3 s: a failed run was not retried", runs)
	}
}
