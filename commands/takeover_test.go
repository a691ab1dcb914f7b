package commands_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestTakeOverByTwoLeaders: a leader cut off from etcd does not know yet that another was
// elected, and both take over a request a dead replica left in provisioning. The second
// one's claim wins; from then on the first writes nothing to the request (it would put the
// approval back under the second's feet), and the second finishes: the half-made API user
// is deleted and Reveal works again.
func TestTakeOverByTwoLeaders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Runs = liveRuns{} // the dead replica, and for each leader the other, are gone
	second := &commands.Service{
		Policy: e.svc.Policy, Store: e.store, Datacake: e.datacake, Devices: testDevices,
		Groups: commandstest.PolicyGroups(), Clock: e.clock, Runs: liveRuns{},
		Installation: testInstallation, InstalledAt: start,
	}
	r := e.storeInState(t, commands.StateProvisioning)
	if _, err := e.store.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
		r.ProvisionedBy, r.LeaseUntil = "dead-replica", e.clock.Now().Add(time.Minute)
		return commands.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	half, _, err := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Workspace: "ws-1", Name: commands.APIUserName(testInstallation, r.ID, carol)})
	if err != nil {
		t.Fatal(err)
	}

	// The first leader has claimed it and looks for the half-made API user; meanwhile the
	// second claims it and stops at the same point until the first is done.
	var finds atomic.Int32
	secondClaimed, firstDone := make(chan struct{}), make(chan struct{})
	secondRes := make(chan commands.ReconcileResult, 1)
	e.datacake.OnFind = func() {
		switch finds.Add(1) {
		case 1: // the first leader's
			go func() {
				res, err := second.TakeOverProvisioning(ctx)
				if err != nil {
					t.Error(err)
				}
				secondRes <- res
			}()
			<-secondClaimed
		case 2: // the second leader's
			close(secondClaimed)
			<-firstDone
		}
	}
	first, err := e.svc.TakeOverProvisioning(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Reopened != 0 || got.State != commands.StateProvisioning || got.ProvisionedBy != second.InstanceID() {
		t.Fatalf("the first leader, its claim taken: %+v; request %s by %q; want it left provisioning by the second", first, got.State, got.ProvisionedBy)
	}
	close(firstDone)
	if res := <-secondRes; res.Reopened != 1 || res.Errors != 0 {
		t.Fatalf("the second leader: %+v, want the request reopened", res)
	}
	if got, _ = e.store.Get(ctx, r.ID); got.State != commands.StateApproved {
		t.Fatalf("request %s, want approved: Reveal works again", got.State)
	}
	if _, ok := e.datacake.Spec(half.ID); ok {
		t.Fatalf("the half-made API user %s outlived the takeover", half.ID)
	}
}

// TestTakeOverMeetsOtherEnds: what happens to a request whose replica died creating its
// token, before the leader takes it over, decides how the takeover ends it. In every case
// the API user nobody saw is deleted and the request is left where people can act on it.
func TestTakeOverMeetsOtherEnds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		recorded  bool // the dead replica recorded the API user before it died
		meanwhile func(e *env, r *commands.Request) error
		want      commands.State
	}{
		{"Nothing", false, nil, commands.StateApproved},
		{"RevokedByAnApprover", false, func(e *env, r *commands.Request) error {
			_, err := e.svc.Revoke(ctx, r.ID, bob, "not needed")
			return err
		}, commands.StateRevoked},
		{"RequesterLeft", false, func(e *env, r *commands.Request) error {
			_, err := e.svc.Deactivated(ctx, carol)
			return err
		}, commands.StateRevoked},
		{"RecordedThenItsEndPassed", true, func(e *env, r *commands.Request) error {
			e.clock.Advance(9 * time.Hour)
			return nil
		}, commands.StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Runs = liveRuns{}
			r := e.storeInState(t, commands.StateProvisioning)
			half, _, err := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Workspace: "ws-1", Name: commands.APIUserName(testInstallation, r.ID, carol)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
				r.ProvisionedBy, r.LeaseUntil = "dead-replica", e.clock.Now().Add(commands.ProvisionLease)
				if tt.recorded {
					r.Grant = &commands.Grant{APIUserID: half.ID, APIUserName: half.Name, CreatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(8 * time.Hour)}
				}
				return commands.Change{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			if tt.meanwhile != nil {
				if err := tt.meanwhile(e, r); err != nil {
					t.Fatal(err)
				}
			}
			if res, err := e.svc.TakeOverProvisioning(ctx); err != nil || res.Errors != 0 {
				t.Fatalf("TakeOverProvisioning: %+v, %v", res, err)
			}
			got, err := e.store.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.want {
				t.Errorf("request %s, want %s", got.State, tt.want)
			}
			if _, ok := e.datacake.Spec(half.ID); ok {
				t.Errorf("the API user %s nobody saw outlived the takeover", half.ID)
			}
		})
	}
}
