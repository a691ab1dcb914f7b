package commands_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// staleActive is a store whose first read of the active requests misses those made so
// far: an adoption that read just before another's record was written.
type staleActive struct {
	commands.Store
	stale atomic.Bool
}

func (s *staleActive) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if st == commands.StateActive && s.stale.CompareAndSwap(true, false) {
		return nil, nil
	}
	return s.Store.InState(ctx, st)
}

// TestAdoptedTwiceAtOnce: two approvers adopt one API user from two reviews at the same
// moment, for two owners. Both pass the "held already?" check; the later record closes
// itself, and its owner, told with the record that they own the API user, is told to
// disregard that, and who holds it.
func TestAdoptedTwiceAtOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	store := &staleActive{Store: e.store}
	e.svc.Store = store
	u := commands.APIUser{ID: "0d9e5c1a-7b3f-4e2a-9c8d-1f2e3a4b5c6d", Name: "legacy-export"}
	it := commands.ReviewItem{APIUserID: u.ID, Name: u.Name, Class: commands.ClassUnmanaged}
	adopt := func(review, owner, by string) (*commands.Request, error) {
		return e.svc.CreateAdoption(ctx, commands.AdoptInput{Review: review, APIUserID: u.ID, Owner: owner, By: by, For: 30 * 24 * time.Hour}, it, u, e.clock.Now())
	}
	first, err := adopt("V1", carol, ann)
	if err != nil {
		t.Fatal(err)
	}
	store.stale.Store(true)
	second, err := adopt("V2", dave, bob)
	if err == nil || !strings.Contains(err.Error(), "adopted meanwhile as "+first.ID.String()) {
		t.Fatalf("the second adoption: %+v, %v; want refused, naming %s", second, err, first.ID)
	}
	active, _ := e.store.InState(ctx, commands.StateActive)
	if len(active) != 1 || active[0].ID != first.ID {
		t.Fatalf("active: %+v, want only %s", active, first.ID)
	}
	// The second owner's two messages: the record's, then the correction.
	var told []string
	for _, n := range e.store.Notifications(first.ID + 1) {
		if n.Kind == commands.NotifyRequester {
			told = append(told, n.Text)
		}
	}
	if len(told) != 2 || !strings.Contains(told[0], "you own it now") ||
		!strings.Contains(told[1], "Disregard my message that you own the Datacake API user legacy-export") || !strings.Contains(told[1], first.ID.String()) {
		t.Fatalf("the second owner was told %q", told)
	}
}
