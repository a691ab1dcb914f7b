package state_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// BenchmarkApproveConcurrent measures approvals through Service.Approve over the real store:
// goroutines approve different pending requests at once (8 on 2 cores), against a Datacake
// that answers immediately, so what is measured is cakegate's own cost: three store
// transactions per approval (pending→provisioning, the grant, →active), each writing the
// request, its indexes, its audit events and its notifications. bbolt commits one writer at
// a time, so with fsync on the disk's sync latency bounds the rate; Sync=off (test-only)
// shows what the store costs without the disk.
func BenchmarkApproveConcurrent(b *testing.B) {
	for _, synced := range []bool{true, false} {
		b.Run(fmt.Sprintf("Sync=%s", map[bool]string{true: "on", false: "off"}[synced]), func(b *testing.B) {
			approvers := svcApprovers(8)
			e := newSvcEnv(b, approvers, state.WithoutSync())
			e.svc.Policy.MaxOpenRequests = b.N // one requester asks for every approval
			// Every iteration approves a fresh pending request, made before the clock starts
			// (with fsync off, to make the set-up quick; the store is reopened as measured).
			ids := make([]commands.RequestID, b.N)
			for i := range ids {
				ids[i] = e.request(b).ID
			}
			e.close(b)
			var opts []state.Option
			if !synced {
				opts = append(opts, state.WithoutSync())
			}
			s, err := state.Open(e.path, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e.svc.Store = s

			var next, approver atomic.Int64
			ctx := context.Background()
			b.SetParallelism(4) // 4 × GOMAXPROCS approvers at once
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				me := approvers[int(approver.Add(1)-1)%len(approvers)]
				for pb.Next() {
					id := ids[next.Add(1)-1]
					r, err := e.svc.Approve(ctx, id, me)
					if err != nil {
						b.Errorf("Approve %s: %v", id, err)
						return
					}
					if r.State != commands.StateActive {
						b.Errorf("Approve %s: got state %s, want active", id, r.State)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "approvals/s")
			if got := e.datacake.Created.Load(); got != int64(b.N) {
				b.Fatalf("%d API users created for %d approvals", got, b.N)
			}
		})
	}
}
