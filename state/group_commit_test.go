package state_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// Writes that arrive while a commit is under way are committed together in the next one,
// and a refusal among them (a compare-and-set that does not hold, a request over the cap,
// one that does not exist, a review item decided already, a review that does not exist)
// costs the others nothing: each gets its own answer, the audit
// chain continues through all of them in commit order, and only what was accepted is
// written.
func TestWritesWaitingShareOneCommit(t *testing.T) {
	s, err := state.Open(filepath.Join(t.TempDir(), "cakegate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const n = 20
	ids := make([]commands.RequestID, n)
	for i := range ids {
		ids[i] = MustCreate(t, s, newRequest(fmt.Sprintf("U%d", i)))
	}
	if err := s.CreateReview(ctx, &commands.Review{ID: "rv-1", Items: []commands.ReviewItem{{APIUserID: "api-1"}}}, commands.Change{}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("not pending any more")
	before := state.Transactions(s)
	release := state.HoldWrites(t, s)
	defer release() // should the test stop early: closing the store waits for the held commit

	errs := make([]error, n+4)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			_, errs[i] = s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
				if i%4 == 3 {
					return commands.Change{}, refused
				}
				r.State = commands.StateDenied
				return commands.Change{Audit: []commands.AuditEvent{{At: t0, Actor: "U0", Action: "deny", From: commands.StatePending, To: r.State}}}, nil
			})
		})
	}
	wg.Go(func() {
		_, errs[n] = s.Update(ctx, 9999, func(*commands.Request) (commands.Change, error) { return commands.Change{}, nil })
	})
	wg.Go(func() {
		over := newRequest("U3") // its update below is refused: U3 stays at the cap
		errs[n+1] = s.Create(ctx, over, commands.Change{}, commands.CreateRules{MaxPending: 1})
	})
	wg.Go(func() {
		_, errs[n+2] = s.UpdateReview(ctx, "rv-1", func(*commands.Review) (commands.Change, error) { return commands.Change{}, refused })
	})
	wg.Go(func() {
		_, errs[n+3] = s.UpdateReview(ctx, "rv-none", func(*commands.Review) (commands.Change, error) { return commands.Change{}, nil })
	})
	state.WaitQueued(t, s, n+4)
	release()
	wg.Wait()

	// The held write rolled back (it wrote nothing); the n+4 queued ones shared one commit.
	if got := state.Transactions(s) - before; got != 2 {
		t.Errorf("%d transactions for one held write and %d queued ones, want 2", got, n+4)
	}
	if !errors.Is(errs[n+2], refused) {
		t.Errorf("refused review update: got %v, want the refusal", errs[n+2])
	}
	if !errors.Is(errs[n+3], commands.ErrReviewNotFound) {
		t.Errorf("update of a review that does not exist: got %v, want not found", errs[n+3])
	}
	for i, id := range ids {
		want := commands.StateDenied
		if i%4 == 3 {
			want = commands.StatePending
			if !errors.Is(errs[i], refused) {
				t.Errorf("refused update of %s: got %v, want the refusal", id, errs[i])
			}
		} else if errs[i] != nil {
			t.Errorf("update of %s: %v", id, errs[i])
		}
		if got := MustGet(t, s, id).State; got != want {
			t.Errorf("%s is %s, want %s", id, got, want)
		}
	}
	if !errors.Is(errs[n], commands.ErrNotFound) {
		t.Errorf("update of a request that does not exist: got %v, want not found", errs[n])
	}
	var capErr *commands.PendingCapError
	if !errors.As(errs[n+1], &capErr) {
		t.Errorf("create over the cap: got %v, want the cap's refusal", errs[n+1])
	}
	if broken, err := s.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit: event %d: %v", broken, err)
	}
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs), n+n-n/4; got != want {
		t.Errorf("%d audit events, want %d (one per create, one per accepted update)", got, want)
	}
}

// A write that fails inside a shared commit fails alone: the others, before and after it,
// are committed without what it wrote, and a panic is raised again in the goroutine that
// made the write.
func TestFailedWriteInGroupFailsAlone(t *testing.T) {
	s, err := state.Open(filepath.Join(t.TempDir(), "cakegate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	goods := make([]commands.RequestID, 3)
	for i := range goods {
		goods[i] = MustCreate(t, s, newRequest(fmt.Sprintf("U%d", i+1)))
	}
	bad := MustCreate(t, s, newRequest("U9"))
	before := state.Transactions(s)
	release := state.HoldWrites(t, s)
	defer release() // should the test stop early: closing the store waits for the held commit

	var wg sync.WaitGroup
	goodErrs := make([]error, len(goods))
	var badErr error
	var panicked any
	queued := 0
	queueGood := func(i int) {
		wg.Go(func() {
			// A panic handed to this write by mistake fails the test, not the test binary.
			defer func() {
				if p := recover(); p != nil {
					goodErrs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			_, goodErrs[i] = s.Update(ctx, goods[i], func(r *commands.Request) (commands.Change, error) {
				r.State = commands.StateDenied
				return commands.Change{Audit: []commands.AuditEvent{{At: t0, Actor: "U0", Action: "deny", To: r.State}}}, nil
			})
		})
		queued++
		state.WaitQueued(t, s, queued)
	}
	// Each failing write has a good one before and after it in the queue, so a good write
	// shares the transactions that are rolled back.
	queueGood(0)
	wg.Go(func() {
		// An id change is caught after fn ran, as a failed write, not as fn's refusal.
		_, badErr = s.Update(ctx, bad, func(r *commands.Request) (commands.Change, error) {
			r.ID = 4242
			return commands.Change{}, nil
		})
	})
	queued++
	state.WaitQueued(t, s, queued)
	queueGood(1)
	wg.Go(func() {
		defer func() { panicked = recover() }()
		_, _ = s.Update(ctx, bad, func(r *commands.Request) (commands.Change, error) { panic("boom") })
	})
	queued++
	state.WaitQueued(t, s, queued)
	queueGood(2)
	release()
	wg.Wait()

	if badErr == nil {
		t.Error("the update that changed the id succeeded")
	}
	if panicked != "boom" {
		t.Errorf("the panicking update raised %v in its goroutine, want boom", panicked)
	}
	for i, id := range goods {
		if goodErrs[i] != nil {
			t.Errorf("the update of %s beside them failed: %v", id, goodErrs[i])
		}
		if got := MustGet(t, s, id).State; got != commands.StateDenied {
			t.Errorf("the good update of %s left %s", id, got)
		}
	}
	if got := MustGet(t, s, bad).State; got != commands.StatePending {
		t.Errorf("the failed updates left %s", got)
	}
	// The held write, then the queue three times: run again without the id change, and
	// again without the panic, which commits.
	if got := state.Transactions(s) - before; got != 4 {
		t.Errorf("%d transactions, want 4 (the held write, and three runs of the queue)", got)
	}
	if broken, err := s.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit: event %d: %v", broken, err)
	}
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs), len(goods)+1+len(goods); got != want {
		t.Errorf("%d audit events, want %d (one per create, one per good update)", got, want)
	}
}

// A panic inside bbolt itself (a corrupt page), outside any write, is raised again in each
// writer of that commit, and the writes after them still commit: the lead is not left
// with a writer that is gone, where every later write would wait for ever.
func TestPanicInsideBboltLeavesLaterWritesWorking(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	id := MustCreate(t, s, newRequest("U1"))
	state.PanicNextCommit(s)
	panicked := func() (p any) {
		defer func() { p = recover() }()
		s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
			r.Reason = "first"
			return commands.Change{}, nil
		})
		return nil
	}()
	if panicked == nil {
		t.Fatal("the write whose commit panicked returned")
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
			r.Reason = "second"
			return commands.Change{}, nil
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after the panic still waits after 10 s")
	}
	if got := MustGet(t, s, id).Reason; got != "second" {
		t.Fatalf("reason %q, want the second write's", got)
	}
}
