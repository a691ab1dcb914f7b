package commands_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// activationFails fails the writes that would mark a request active, as a full or
// read-only disk would right after the token was shown; the first `times` of them.
type activationFails struct {
	*commandstest.Store
	times atomic.Int32
}

func (s *activationFails) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	return s.Store.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		from := r.State
		c, err := fn(r)
		if err == nil && from == commands.StateProvisioning && r.State == commands.StateActive && s.times.Add(-1) >= 0 {
			return commands.Change{}, errors.New("write: no space left on device")
		}
		return c, err
	})
}

// stuckAfterDelivery reveals a viewer request whose token is shown but whose activation
// write fails: the request stays provisioning with its grant recorded.
func stuckAfterDelivery(t *testing.T, e *env) *commands.Request {
	t.Helper()
	ctx := context.Background()
	store := &activationFails{Store: e.store}
	store.times.Store(1)
	e.svc.Store = store
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); err == nil {
		t.Fatal("Reveal succeeded although its activation could not be written")
	}
	if _, ok := e.notifier.Token(r.ID); !ok {
		t.Fatal("the token was not delivered")
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateProvisioning || got.Grant == nil {
		t.Fatalf("got %s with grant %v, want provisioning with its grant recorded", got.State, got.Grant)
	}
	return got
}

// Point 2 of issue 11: a delivered token whose request stays provisioning still ends.
func TestDeliveredTokenStuckInProvisioning(t *testing.T) {
	ctx := context.Background()
	t.Run("ExpiresOnTime", func(t *testing.T) {
		e := newEnv(t)
		r := stuckAfterDelivery(t, e)
		e.clock.Advance(r.Duration)
		if res, err := e.svc.ExpireDue(ctx); err != nil || res.Done != 1 {
			t.Fatalf("got %+v, %v; want it expired", res, err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateExpired {
			t.Fatalf("got %s, want expired", got.State)
		}
		if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok {
			t.Fatal("the delivered token's API user outlived its grant")
		}
	})
	t.Run("Revocable", func(t *testing.T) {
		e := newEnv(t)
		r := stuckAfterDelivery(t, e)
		got, err := e.svc.Revoke(ctx, r.ID, carol, "done")
		if err != nil || got.State != commands.StateRevoked {
			t.Fatalf("got %v, %v; want revoked", got, err)
		}
		if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok {
			t.Fatal("the revoked token's API user still exists")
		}
	})
	t.Run("LeaseRunsOut", func(t *testing.T) {
		e := newEnv(t)
		r := stuckAfterDelivery(t, e)
		if res, _ := e.svc.Reconcile(ctx); res.Reopened != 0 {
			t.Fatalf("reconcile took over while the lease held: %+v", res)
		}
		e.clock.Advance(commands.ProvisionLease)
		if res, _ := e.svc.Reconcile(ctx); res.Reopened != 1 {
			t.Fatalf("got %+v, want it taken over once the lease ran out", res)
		}
		got, _ := e.store.Get(ctx, r.ID)
		if got.State != commands.StateApproved || got.Grant != nil {
			t.Fatalf("got %s with %v, want approved again with no API user", got.State, got.Grant)
		}
		if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok {
			t.Fatal("the first API user was not deleted")
		}
		if again := e.reveal(t, r.ID); again.Grant.APIUserID == r.Grant.APIUserID {
			t.Fatal("revealing again reused the deleted API user")
		}
	})
	t.Run("ClickContextEnds", func(t *testing.T) {
		// Slack's work context for the click ends just after the token was shown.
		e := newEnv(t)
		cctx, cancel := context.WithCancel(ctx)
		r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
		e.svc.Approve(ctx, r.ID, ann)
		e.svc.Reveal(cctx, r.ID, carol, cancelAfterDelivery{e.notifier, cancel}.Show)
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive {
			t.Fatalf("got %s, want active: the bookkeeping after the token left needs its own context", got.State)
		}
	})
}

// A reconcile may take over a request whose grant ended while nobody could finish it: it
// fails rather than hand out a new token past the old end.
func TestReconcileFailsAStuckGrantPastItsEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := stuckAfterDelivery(t, e)
	e.clock.Advance(r.Duration + time.Minute)
	if res, _ := e.svc.Reconcile(ctx); res.Failed != 1 || res.Reopened != 0 {
		t.Fatalf("got %+v, want it failed, not provisioned afresh", res)
	}
	if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok {
		t.Fatal("the API user outlived its grant")
	}
}

// cancelAfterDelivery delivers the token, then ends the click's context.
type cancelAfterDelivery struct {
	*commandstest.Notifier
	cancel context.CancelFunc
}

func (n cancelAfterDelivery) Show(ctx context.Context, r *commands.Request, t commands.Token) error {
	err := n.Notifier.Show(ctx, r, t)
	n.cancel()
	return err
}
