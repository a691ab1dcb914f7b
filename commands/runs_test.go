package commands_test

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// liveRuns is a Runs that knows a fixed set of live runs.
type liveRuns map[string]bool

func (l liveRuns) Alive(_ context.Context, run string) bool { return l[run] }

// TestReconcileLeavesALiveReplicasProvisioning: with several replicas, the leader's
// reconcile leaves a request another live replica is provisioning alone while its lease
// holds, and takes it over once that replica is gone or the lease has run out.
func TestReconcileLeavesALiveReplicasProvisioning(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		alive     bool
		leaseLeft time.Duration
		want      int // reopened: the half-made API user deleted, the approval waiting for Reveal again
	}{
		{"AliveWithLease", true, time.Minute, 0},
		{"Dead", false, time.Minute, 1},
		{"AliveButLeaseRanOut", true, -time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Runs = liveRuns{"replica-b": tt.alive}
			r := e.storeInState(t, commands.StateProvisioning)
			if _, err := e.store.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
				r.ProvisionedBy, r.LeaseUntil = "replica-b", e.clock.Now().Add(tt.leaseLeft)
				return commands.Change{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.Reconcile(ctx)
			if err != nil || res.Reopened != tt.want {
				t.Fatalf("Reconcile: %+v, %v; want %d reopened", res, err, tt.want)
			}
		})
	}
}
