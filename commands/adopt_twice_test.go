package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// staleActive is a store whose first read of the active requests misses those made so
// far: an adoption that read just before another's record was written. With crash set, the
// next write that closes a request fails, as if cakegate stopped before it.
type staleActive struct {
	commands.Store
	stale, crash atomic.Bool
}

func (s *staleActive) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	return s.Store.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		c, err := fn(r)
		if err == nil && r.State == commands.StateRevoked && s.crash.CompareAndSwap(true, false) {
			return commands.Change{}, errors.New("simulated stop before the write")
		}
		return c, err
	})
}

func (s *staleActive) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if st == commands.StateActive && s.stale.CompareAndSwap(true, false) {
		return nil, nil
	}
	return s.Store.InState(ctx, st)
}

// TestAdoptedTwiceAtOnce: two approvers adopt one API user from two reviews at the same
// moment, for two owners. Both pass the "held already?" check; the later record closes
// itself (or, when cakegate stopped before that, reconcile closes it), and its owner, told
// with the record that they own the API user, is told to disregard that, and who holds it.
func TestAdoptedTwiceAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "Closed", true: "StoppedBeforeTheCloseThenReconciled"}[crash], func(t *testing.T) {
			e := newEnv(t)
			store := &staleActive{Store: e.store}
			e.svc.Store = store
			// Made by hand in the portal: Datacake lists it, so reconcile finds it held.
			u := commands.APIUser{Name: "legacy-export"}
			u.ID = e.datacake.AddUser(u.Name, start.Add(-24*time.Hour))
			it := commands.ReviewItem{APIUserID: u.ID, Name: u.Name, Class: commands.ClassUnmanaged}
			adopt := func(review, owner, by string) (*commands.Request, error) {
				return e.svc.CreateAdoption(ctx, commands.AdoptInput{Review: review, APIUserID: u.ID, Owner: owner, By: by, For: 30 * 24 * time.Hour}, it, u, e.clock.Now())
			}
			first, err := adopt("V1", carol, ann)
			if err != nil {
				t.Fatal(err)
			}
			store.stale.Store(true)
			store.crash.Store(crash)
			second, err := adopt("V2", dave, bob)
			if crash {
				// Both records hold the API user until reconcile runs.
				if err == nil {
					t.Fatalf("the second adoption: %+v, want the failed close reported", second)
				}
				res, err := e.svc.Reconcile(ctx)
				if err != nil || res.Duplicates != 1 {
					t.Fatalf("reconcile: %+v, %v; want one duplicate closed", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), "adopted meanwhile as "+first.ID.String()) {
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
			if e.datacake.Count() != 1 {
				t.Fatalf("%d API users in Datacake, want the one adopted: closing an adoption deletes nothing", e.datacake.Count())
			}
		})
	}
}

// revokedBetweenReads is a store in which, once armed, the one open request moves from
// active to revoking between a reader's read of the active ones and of the revoking ones:
// both list it.
type revokedBetweenReads struct {
	commands.Store
	armed atomic.Bool
}

func (s *revokedBetweenReads) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if st == commands.StateRevoking && s.armed.CompareAndSwap(true, false) {
		return s.Store.InState(ctx, commands.StateActive)
	}
	return s.Store.InState(ctx, st)
}

// armAfterList is a Datacake after whose list of API users the store's next read of the
// revoking requests meets the active one again: reconcile reads who holds each API user
// right after its list.
type armAfterList struct {
	*commandstest.Datacake
	store *revokedBetweenReads
}

func (a *armAfterList) FindAPIUsers(ctx context.Context, workspace, prefix string) ([]commands.APIUser, error) {
	users, err := a.Datacake.FindAPIUsers(ctx, workspace, prefix)
	a.store.armed.Store(true)
	return users, err
}

// TestAdoptionReadTwiceIsNotADuplicate: an adoption revoked while reconcile reads who holds
// each API user is met in two reads; it is one holder, not a second adoption to close.
func TestAdoptionReadTwiceIsNotADuplicate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := commands.APIUser{Name: "legacy-export"}
	u.ID = e.datacake.AddUser(u.Name, start.Add(-24*time.Hour))
	it := commands.ReviewItem{APIUserID: u.ID, Name: u.Name, Class: commands.ClassUnmanaged}
	r, err := e.svc.CreateAdoption(ctx, commands.AdoptInput{Review: "V1", APIUserID: u.ID, Owner: carol, By: ann, For: 30 * 24 * time.Hour}, it, u, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	store := &revokedBetweenReads{Store: e.store}
	e.svc.Store = store
	e.svc.Datacake = &armAfterList{Datacake: e.datacake, store: store}
	res, err := e.svc.Reconcile(ctx)
	if err != nil || res.Duplicates != 0 || res.Errors != 0 {
		t.Fatalf("reconcile: %+v, %v; want no duplicate and no error", res, err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive {
		t.Fatalf("the adoption is %s after reconcile, want still active", got.State)
	}
}
