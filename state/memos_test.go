package state_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state"
)

// A Remember whose deadline passes while it waits behind a slow commit returns at its
// deadline, unwritten, instead of when the commit is done: the bot acknowledges Slack only
// after it, and Slack gives up after 3 s. The writes beside it are not disturbed.
func TestRememberQueuedPastItsDeadlineLeaves(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	until := t0.Add(time.Hour)
	// Released once, here or when the test stops early, so that closing the store does not
	// wait for the held commit forever.
	release := sync.OnceFunc(state.HoldWrites(t, s))
	defer release()

	var wg sync.WaitGroup
	var beforeFirst, afterFirst bool
	var beforeErr, afterErr error
	wg.Go(func() { beforeFirst, beforeErr = s.Remember(ctx, "sig:before", t0, until) })
	state.WaitQueued(t, s, 1)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	lateErr := make(chan error, 1)
	go func() {
		_, err := s.Remember(short, "sig:late", t0, until)
		lateErr <- err
	}()
	state.WaitQueued(t, s, 2)
	wg.Go(func() { afterFirst, afterErr = s.Remember(ctx, "sig:after", t0, until) })
	state.WaitQueued(t, s, 3)

	select {
	case err := <-lateErr:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Remember past its deadline: got %v, want the deadline's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Remember still waits for the held commit 10 s after its deadline")
	}
	release()
	wg.Wait()

	if !beforeFirst || beforeErr != nil || !afterFirst || afterErr != nil {
		t.Errorf("the Remembers queued beside it: %v, %v and %v, %v; want true, nil", beforeFirst, beforeErr, afterFirst, afterErr)
	}
	for key, want := range map[string]bool{"sig:before": false, "sig:after": false, "sig:late": true} {
		if got, err := s.Remember(ctx, key, t0, until); got != want || err != nil {
			t.Errorf("Remember(%q) afterwards: %v, %v; want %v (recorded: %v)", key, got, err, want, !want)
		}
	}
}

// Writers that give up at random moments, some while queued, some just handed the lead,
// neither stall the others nor lose their answers: a Remember that returned nil is
// recorded, one that returned its context's error is not.
func TestRemembersGivingUpAtRandom(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	until := t0.Add(time.Hour)
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, time.Duration(i%7)*100*time.Microsecond)
			defer cancel()
			_, errs[i] = s.Remember(c, fmt.Sprint("sig:", i), t0, until)
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Remembers still waiting after 60 s")
	}
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Remember %d: %v", i, err)
		}
		first, err2 := s.Remember(ctx, fmt.Sprint("sig:", i), t0, until)
		if err2 != nil {
			t.Fatal(err2)
		}
		if recorded := !first; recorded != (err == nil) {
			t.Errorf("Remember %d returned %v, and its key recorded is %v", i, err, recorded)
		}
	}
}

// A memo write that finds nothing to change (the key remembered meanwhile by another
// replica's click, or a Forget of a key not held) costs no fsync.
func TestMemoWritesOfNothingDoNotSync(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	until := t0.Add(time.Hour)

	before := state.Syncs(s)
	if err := s.Forget(ctx, "sig:never"); err != nil {
		t.Fatal(err)
	}
	if got := state.Syncs(s) - before; got != 0 {
		t.Errorf("Forget of a key not held: %d syncs, want 0", got)
	}

	// late passes its read before early's write is committed, and is committed after it,
	// alone: it finds the key held and has nothing to write. The second held write keeps
	// early's transaction open until late has queued.
	releaseFirst := sync.OnceFunc(state.HoldWrites(t, s))
	defer releaseFirst()
	var wg sync.WaitGroup
	var earlyFirst, lateFirst bool
	var earlyErr, lateErr error
	wg.Go(func() { earlyFirst, earlyErr = s.Remember(ctx, "sig:a", t0, until) })
	state.WaitQueued(t, s, 1)
	holding := make(chan func())
	go func() { holding <- state.HoldWrites(t, s) }()
	state.WaitQueued(t, s, 2)
	before = state.Syncs(s)
	releaseFirst()
	releaseSecond := sync.OnceFunc(<-holding) // early's write is made, not yet committed
	defer releaseSecond()
	wg.Go(func() { lateFirst, lateErr = s.Remember(ctx, "sig:a", t0, until) })
	state.WaitQueued(t, s, 1)
	releaseSecond()
	wg.Wait()

	if !earlyFirst || earlyErr != nil || lateFirst || lateErr != nil {
		t.Fatalf("Remembers: %v, %v then %v, %v; want true, nil then false, nil", earlyFirst, earlyErr, lateFirst, lateErr)
	}
	if got := state.Syncs(s) - before; got != 1 {
		t.Errorf("%d syncs for one memo written and one found held, want 1", got)
	}

	before = state.Syncs(s)
	if err := s.Forget(ctx, "sig:a"); err != nil {
		t.Fatal(err)
	}
	if got := state.Syncs(s) - before; got != 1 {
		t.Errorf("Forget of a key held: %d syncs, want 1", got)
	}
}
