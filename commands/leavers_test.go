package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// directory is a Directory with the users who left.
type directory struct {
	left  map[string]bool
	asked []string
	err   error
}

func (d *directory) IsActive(_ context.Context, user string) (bool, error) {
	d.asked = append(d.asked, user)
	return !d.left[user], d.err
}

func TestDeactivated(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	active := e.active(t)
	approved := e.approved(t)
	pending := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	other := e.request(t, commands.RequestInput{Requester: dave, Role: "viewer", Devices: []string{"SN1"}})

	res, err := e.svc.Deactivated(ctx, carol)
	if err != nil || res.Done != 3 {
		t.Fatalf("got %+v, %v; want 3 ended", res, err)
	}
	for id, want := range map[commands.RequestID]commands.State{
		active.ID: commands.StateRevoked, approved.ID: commands.StateCancelled, pending.ID: commands.StateCancelled, other.ID: commands.StatePending,
	} {
		got, _ := e.store.Get(ctx, id)
		if got.State != want {
			t.Errorf("%s: got %s, want %s", id, got.State, want)
		}
		if want != commands.StatePending && got.DecisionNote != commands.DeactivatedReason {
			t.Errorf("%s: reason %q, want deactivated", id, got.DecisionNote)
		}
	}
	if e.datacake.Count() != 0 {
		t.Fatal("the leaver's API user still exists")
	}
	told := false
	for _, n := range e.store.Notifications(active.ID) {
		told = told || (n.Kind == commands.NotifyApprovers && strings.Contains(n.Text, "deactivated"))
	}
	if !told {
		t.Fatal("the approvals channel was not told")
	}
	if res, err := e.svc.Deactivated(ctx, carol); err != nil || res.Done != 0 {
		t.Fatalf("a second call: %+v %v, want nothing done", res, err)
	}
}

func TestSweepLeavers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mine := e.active(t)
	r := e.request(t, commands.RequestInput{Requester: dave, Role: "viewer", Devices: []string{"SN1"}})
	e.svc.Approve(ctx, r.ID, ann)
	dave := e.reveal(t, r.ID)

	waits := 0
	wait := func(context.Context) bool { waits++; return true }
	dir := &directory{left: map[string]bool{carol: true}}
	res, err := e.svc.SweepLeavers(ctx, dir, wait)
	if err != nil || res.Done != 1 {
		t.Fatalf("got %+v, %v", res, err)
	}
	if len(dir.asked) != 2 || waits != 1 {
		t.Fatalf("asked %v with %d waits, want each holder once, paced", dir.asked, waits)
	}
	if got, _ := e.store.Get(ctx, mine.ID); got.State != commands.StateRevoked {
		t.Fatalf("the leaver's grant is %s", got.State)
	}
	if got, _ := e.store.Get(ctx, dave.ID); got.State != commands.StateActive {
		t.Fatalf("the stayer's grant is %s", got.State)
	}

	t.Run("SlackFailsChangesNothing", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		dir := &directory{left: map[string]bool{carol: true}, err: errors.New("slack: ratelimited")}
		if res, _ := e.svc.SweepLeavers(ctx, dir, wait); res.Failed != 1 || res.Done != 0 {
			t.Fatalf("got %+v", res)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive {
			t.Fatalf("got %s", got.State)
		}
	})
}
