package state_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// BenchmarkApproveConcurrent measures approvals through Service.Approve over the real store:
// goroutines approve different pending requests at once (8 or 128 on 2 cores), each then revealed
// by its requester (since issue 15 the API user is made at the reveal), against a Datacake
// that answers immediately, so what is measured is cakegate's own cost: the store
// transactions of an approval and its reveal, each writing the request, its indexes, its
// audit events and its notifications. bbolt commits one writer at a time, and the writes
// waiting behind a commit share the next one (group commit), so with fsync on the disk's
// sync latency is paid once per group rather than once per write; Sync=off (test-only)
// shows what the store costs without the disk.
func BenchmarkApproveConcurrent(b *testing.B) {
	for _, synced := range []bool{true, false} {
		for _, atOnce := range []int{8, 128} {
			b.Run(fmt.Sprintf("Sync=%s/at-once=%d", map[bool]string{true: "on", false: "off"}[synced], atOnce), func(b *testing.B) {
				benchApproveConcurrent(b, synced, atOnce)
			})
		}
	}
}

// benchApproveConcurrent approves with atOnce approvers at once, with fsync or without.
func benchApproveConcurrent(b *testing.B, synced bool, atOnce int) {
	approvers := svcApprovers(atOnce)
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
	commits := state.Transactions(s)
	b.SetParallelism(max(1, atOnce/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		me := approvers[int(approver.Add(1)-1)%len(approvers)]
		for pb.Next() {
			id := ids[next.Add(1)-1]
			if _, err := e.svc.Approve(ctx, id, me); err != nil {
				b.Errorf("Approve %s: %v", id, err)
				return
			}
			r, err := e.svc.Reveal(ctx, id, svcRequester, e.notifier.Show)
			if err != nil {
				b.Errorf("Reveal %s: %v", id, err)
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
	b.ReportMetric(float64(state.Transactions(s)-commits)/float64(b.N), "commits/approval")
	if got := e.datacake.Created.Load(); got != int64(b.N) {
		b.Fatalf("%d API users created for %d approvals", got, b.N)
	}
}
