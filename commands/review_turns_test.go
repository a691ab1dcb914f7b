package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// heldDeletes is a Datacake whose deletions wait, once started, until the test lets them
// go: a slow Datacake, and the moment another click may slip in.
type heldDeletes struct {
	*commandstest.Datacake
	started chan string
	release chan struct{}
}

func (h *heldDeletes) DeleteAPIUser(ctx context.Context, id string) error {
	h.started <- id
	<-h.release
	return h.Datacake.DeleteAPIUser(ctx, id)
}

// reviewsOf stores n reviews listing the unmanaged API users ids (named as Datacake names
// them), in that order, as review ids rv-1, rv-2, ….
func reviewsOf(t *testing.T, e *env, n int, ids ...string) *memReviews {
	t.Helper()
	reviews := &memReviews{rv: map[string]*commands.Review{}}
	e.svc.Reviews = reviews
	for i := range n {
		rv := &commands.Review{ID: "rv-" + string(rune('1'+i)), StartedAt: start, StartedBy: ann}
		users, _ := e.datacake.FindAPIUsers(context.Background(), "", "")
		for _, id := range ids {
			for _, u := range users {
				if u.ID == id {
					rv.Items = append(rv.Items, commands.ReviewItem{APIUserID: id, Name: u.Name, Class: commands.ClassUnmanaged})
				}
			}
		}
		if err := reviews.CreateReview(context.Background(), rv, commands.Change{}); err != nil {
			t.Fatal(err)
		}
	}
	return reviews
}

// deleteHeld starts a Delete click on item index of review, and returns once its Datacake
// deletion has started (and waits); wait returns the click's answer once it is let go.
func deleteHeld(t *testing.T, e *env, dc *heldDeletes, review string, index int, apiUser string) (wait func() (string, error)) {
	t.Helper()
	var msg string
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		msg, err = e.svc.DecideReview(context.Background(), review, index, apiUser, ann, commands.ChoiceDelete)
	})
	select {
	case <-dc.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the deletion never reached Datacake")
	}
	return func() (string, error) { wg.Wait(); return msg, err }
}

// TestReviewDeleteAndAdoptTakeTurns: an approver deletes an API user from one review while
// another adopts it from a second review. Without turns both pass "nobody holds it", and
// the deletion removes the API user the new adoption holds: its owner's token dies, and a
// record says they own what is gone. With them, the adoption is refused while the deletion
// runs, and says so.
func TestReviewDeleteAndAdoptTakeTurns(t *testing.T) {
	e := newEnv(t)
	dc := &heldDeletes{Datacake: e.datacake, started: make(chan string, 1), release: make(chan struct{})}
	e.svc.Datacake = dc
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviewsOf(t, e, 2, id)

	deleted := deleteHeld(t, e, dc, "rv-1", 0, id)
	r, err := e.svc.Adopt(context.Background(), commands.AdoptInput{Review: "rv-2", Index: 0, APIUserID: id, Owner: carol, By: bob, For: 30 * 24 * time.Hour})
	if err == nil || !strings.Contains(err.Error(), "someone is acting on API user legacy-export ("+id+") at this very moment") {
		t.Fatalf("the adoption during the deletion: record %v, error %v; want refused while the deletion runs", requestID(r), err)
	}
	close(dc.release)
	if msg, err := deleted(); err != nil || !strings.Contains(msg, "Deleted API user legacy-export") {
		t.Fatalf("the deletion: %q, %v", msg, err)
	}
	active, _ := e.store.InState(context.Background(), commands.StateActive)
	if len(active) != 0 {
		t.Fatalf("%d adoptions of a deleted API user: %+v", len(active), active)
	}
	// Afterwards the adoption finds it gone, and the second review says so.
	_, err = e.svc.Adopt(context.Background(), commands.AdoptInput{Review: "rv-2", Index: 0, APIUserID: id, Owner: carol, By: bob, For: 30 * 24 * time.Hour})
	if err == nil || !strings.Contains(err.Error(), "already gone") {
		t.Fatalf("the adoption after the deletion: %v; want told it is gone", err)
	}
}

// TestReviewDeletesTakeTurnsUnderTheBrake: two approvers delete two API users from one
// review at once, with orphans_brake 1. Without turns both read "none deleted yet" and the
// review deletes two; with them the second waits its turn, and then meets the brake.
func TestReviewDeletesTakeTurnsUnderTheBrake(t *testing.T) {
	e := newEnv(t)
	e.svc.Policy.OrphansBrake = 1
	dc := &heldDeletes{Datacake: e.datacake, started: make(chan string, 2), release: make(chan struct{})}
	e.svc.Datacake = dc
	a := e.datacake.AddUser("legacy-a", start.Add(-24*time.Hour))
	b := e.datacake.AddUser("legacy-b", start.Add(-24*time.Hour))
	reviewsOf(t, e, 1, a, b)

	first := deleteHeld(t, e, dc, "rv-1", 0, a)
	second := make(chan error, 1)
	go func() {
		_, err := e.svc.DecideReview(context.Background(), "rv-1", 1, b, bob, commands.ChoiceDelete)
		second <- err
	}()
	select {
	case err := <-second:
		if err == nil || !strings.Contains(err.Error(), "another deletion from this review is being carried out") {
			t.Errorf("a second deletion during the first: %v; want told to wait its turn", err)
		}
	case id := <-dc.started:
		t.Errorf("a second deletion (%s) reached Datacake while the first was running", id)
	case <-time.After(10 * time.Second):
		t.Error("the second deletion never answered")
	}
	close(dc.release)
	if t.Failed() {
		return
	}
	if _, err := first(); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.DecideReview(context.Background(), "rv-1", 1, b, bob, commands.ChoiceDelete)
	if err == nil || !strings.Contains(err.Error(), "as many as orphans_brake allows") {
		t.Fatalf("the second deletion after the first: %v; want the brake", err)
	}
	if n := e.datacake.Count(); n != 1 {
		t.Fatalf("%d API users left, want 1: the review deleted past orphans_brake", n)
	}
}

// forgetFails is a store's memory that cannot give a turn back (the store failed at that
// moment, or cakegate stopped before it could).
type forgetFails struct{ commands.MemoryMemos }

func (m *forgetFails) Forget(context.Context, string) error { return errors.New("disk full") }

func (m *forgetFails) ForgetOwn(context.Context, string, time.Time) error {
	return errors.New("disk full")
}

// TestATurnLeftBehindEndsByItself: a turn that was never given back (the store failed, or
// cakegate stopped mid-click) holds the API user only for a few minutes: clicks meanwhile
// are told to look again, and then work.
func TestATurnLeftBehindEndsByItself(t *testing.T) {
	e := newEnv(t)
	e.svc.Turns = &forgetFails{}
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviewsOf(t, e, 1, id)
	e.datacake.DeleteErr = errors.New("datacake: 503")
	if _, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceDelete); err == nil {
		t.Fatal("the deletion succeeded while Datacake failed")
	}
	e.datacake.DeleteErr = nil
	_, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceDelete)
	if err == nil || !strings.Contains(err.Error(), "being carried out right now") {
		t.Fatalf("a click while the turn is left behind: %v; want told to wait", err)
	}
	e.clock.Advance(commands.TurnLives + time.Second)
	if msg, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceDelete); err != nil || !strings.Contains(msg, "Deleted") {
		t.Fatalf("a click after the turn ended by itself: %q, %v", msg, err)
	}
}

// requestID is r's id, or "none".
func requestID(r *commands.Request) string {
	if r == nil {
		return "none"
	}
	return r.ID.String()
}

// TestReconcileLeavesAnOrphanAdoptedSinceItsList: an approver adopts one of cakegate's own
// leftovers (a review lists it as unmanaged) just after reconcile read who holds each API
// user. Reconcile found it an orphan on that read; it asks again before deleting, and
// leaves it to its new owner.
func TestReconcileLeavesAnOrphanAdoptedSinceItsList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	name := commands.APIUserName(testInstallation, 42, carol)
	id := e.datacake.AddUser(name, start.Add(-24*time.Hour))
	reviewsOf(t, e, 1, id)
	r, err := e.svc.Adopt(ctx, commands.AdoptInput{Review: "rv-1", Index: 0, APIUserID: id, Owner: carol, By: ann, For: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	store := &staleActive{Store: e.store}
	e.svc.Store = store
	// Reconcile's read of the holders, after its list, comes just before the adoption.
	e.svc.Datacake = &listThenStale{Datacake: e.datacake, store: store}
	if _, err := e.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if e.datacake.Count() != 1 {
		t.Fatalf("reconcile deleted %s, which %s adopted: %d API users left", name, r.ID, e.datacake.Count())
	}
}

// listThenStale is a Datacake after whose list of API users the store's next read of the
// active requests misses those there are (staleActive).
type listThenStale struct {
	*commandstest.Datacake
	store *staleActive
}

func (l *listThenStale) FindAPIUsers(ctx context.Context, workspace, prefix string) ([]commands.APIUser, error) {
	users, err := l.Datacake.FindAPIUsers(ctx, workspace, prefix)
	l.store.stale.Store(true)
	return users, err
}

// TestReviewKeepTakesItsTurnDuringADelete: an approver clicks Keep on an API user another is
// deleting from a second review. Without a turn the Keep is recorded while the deletion
// runs, and the review says "kept" of an API user that is gone.
func TestReviewKeepTakesItsTurnDuringADelete(t *testing.T) {
	e := newEnv(t)
	dc := &heldDeletes{Datacake: e.datacake, started: make(chan string, 1), release: make(chan struct{})}
	e.svc.Datacake = dc
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviews := reviewsOf(t, e, 2, id)

	deleted := deleteHeld(t, e, dc, "rv-1", 0, id)
	_, err := e.svc.DecideReview(context.Background(), "rv-2", 0, id, bob, commands.ChoiceKeep)
	close(dc.release)
	if err == nil || !strings.Contains(err.Error(), "at this very moment") {
		t.Fatalf("Keep during the deletion: %v; want told to look again", err)
	}
	if _, err := deleted(); err != nil {
		t.Fatal(err)
	}
	rv, _ := reviews.GetReview(context.Background(), "rv-2")
	if d := rv.Items[0].Decision; d == commands.ReviewKept {
		t.Fatal("the second review says kept of an API user that was deleted")
	}
}

// ownMemos records what a store that can tell turns apart is asked.
type ownMemos struct {
	commands.MemoryMemos
	remembered, givenBack []time.Time
	forgot                int
}

func (m *ownMemos) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	m.remembered = append(m.remembered, until)
	return m.MemoryMemos.Remember(ctx, key, now, until)
}

func (m *ownMemos) Forget(context.Context, string) error { m.forgot++; return nil }

func (m *ownMemos) ForgetOwn(ctx context.Context, key string, until time.Time) error {
	m.givenBack = append(m.givenBack, until)
	return m.MemoryMemos.ForgetOwn(ctx, key, until)
}

// TestATurnIsGivenBackAsItsOwn: a turn is given back only as the one it took (ForgetOwn, with
// the end it remembered), so that one given back after it ran out, when another click has
// taken the API user's turn anew, does not free that click's.
func TestATurnIsGivenBackAsItsOwn(t *testing.T) {
	e := newEnv(t)
	m := &ownMemos{}
	e.svc.Turns = m
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviewsOf(t, e, 1, id)
	if _, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceKeep); err != nil {
		t.Fatal(err)
	}
	if m.forgot != 0 || len(m.givenBack) != 1 || len(m.remembered) != 1 || !m.givenBack[0].Equal(m.remembered[0]) {
		t.Fatalf("remembered %v, given back as its own %v, forgotten whoever held it %d times; want given back as its own", m.remembered, m.givenBack, m.forgot)
	}
}

// committedButFailed is a store's memory whose next Remember writes the turn, then fails to
// say so, as etcd may when the context ends between its commit and its answer.
type committedButFailed struct {
	commands.MemoryMemos
	failNext bool
}

func (m *committedButFailed) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	first, err := m.MemoryMemos.Remember(ctx, key, now, until)
	if m.failNext {
		m.failNext = false
		return false, errors.New("etcd: context deadline exceeded")
	}
	return first, err
}

// TestATurnTakenButNotConfirmedIsDropped: when the store takes a turn but fails to confirm
// it, the click is told to try again, and the turn it may hold is dropped: tried again at
// once, the click is not refused as busy by its own turn.
func TestATurnTakenButNotConfirmedIsDropped(t *testing.T) {
	e := newEnv(t)
	e.svc.Turns = &committedButFailed{failNext: true}
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviewsOf(t, e, 1, id)
	if _, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceKeep); err == nil || !strings.Contains(err.Error(), "try again in a minute") {
		t.Fatalf("a click whose turn was not confirmed: %v; want told to try again", err)
	}
	if msg, err := e.svc.DecideReview(context.Background(), "rv-1", 0, id, ann, commands.ChoiceKeep); err != nil || !strings.Contains(msg, "Kept") {
		t.Fatalf("the click tried again: %q, %v; want it kept, not refused by its own turn", msg, err)
	}
}
