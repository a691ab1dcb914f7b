package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// The etcd store's numbers beside the bbolt store's (BENCHMARKS.md): the same use cases
// over an embedded one-member etcd on loopback, with fsync on as served (Sync=on) or off
// (test-only). A real cluster adds its network round trips and its members' fsync to
// every transaction.

// benchApprovers approve at once, as in state's BenchmarkApproveConcurrent.
var benchApprovers = []string{"U0APPROVER01", "U0APPROVER02", "U0APPROVER03", "U0APPROVER04",
	"U0APPROVER05", "U0APPROVER06", "U0APPROVER07", "U0APPROVER08"}

func benchPolicy() *commands.Policy {
	return &commands.Policy{
		Workspace: "ws-bench", ApprovalsChannel: "C0APPROVALS", Approvers: benchApprovers,
		AllRequesters: true, Location: time.UTC, PendingTimeout: 48 * time.Hour,
		RoleOrder: []string{"viewer"},
		Roles: map[string]*commands.Role{"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true},
			MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1}},
		Orphans: commands.OrphansDelete,
	}
}

// BenchmarkApproveConcurrent: Service.Approve of fresh pending requests by 8 approvers at
// once, each approval a read and three transactions (pending→provisioning, the grant,
// →active). Replicas=3 spreads the approvers over three stores with their own clients, as
// three cakegates would be: their transactions conflict on the head and are retried.
func BenchmarkApproveConcurrent(b *testing.B) {
	for _, tc := range []struct {
		sync     bool
		replicas int
	}{{true, 1}, {false, 1}, {true, 3}} {
		name := fmt.Sprintf("Sync=%s/Replicas=%d", map[bool]string{true: "on", false: "off"}[tc.sync], tc.replicas)
		b.Run(name, func(b *testing.B) {
			var opts []etcdtest.Option
			if tc.sync {
				opts = append(opts, etcdtest.WithFsync())
			}
			srv := etcdtest.Start(b, opts...)
			prefix := etcdtest.Prefix(b)
			dc := commandstest.NewDatacake()
			var services []*commands.Service
			for range tc.replicas {
				s, err := etcdstore.Open(context.Background(), srv.Client(b), prefix)
				if err != nil {
					b.Fatal(err)
				}
				services = append(services, &commands.Service{
					Policy: benchPolicy(), Store: s, Journal: s, Datacake: dc,
					Devices: commandstest.Devices{{ID: "dev-1", Name: "Cellar", Serial: "SN-1"}},
					Clock:   commands.SystemClock{},
				})
			}
			ids := make([]commands.RequestID, b.N)
			for i := range ids {
				r, err := services[0].Request(context.Background(), commands.RequestInput{
					Requester: fmt.Sprintf("U%d", i), Role: "viewer", Devices: []string{"SN-1"}, Reason: "bench",
				})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = r.ID
			}
			var next, approver atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				n := int(approver.Add(1) - 1)
				me, svc := benchApprovers[n%len(benchApprovers)], services[n%len(services)]
				for pb.Next() {
					id := ids[next.Add(1)-1]
					r, err := svc.Approve(context.Background(), id, me)
					if err != nil {
						b.Errorf("Approve %s: %v", id, err)
						return
					}
					if r.State != commands.StateActive {
						b.Errorf("Approve %s: state %s, want active", id, r.State)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "approvals/s")
			if got := dc.Created.Load(); got != int64(b.N) {
				b.Fatalf("%d API users created for %d approvals", got, b.N)
			}
		})
	}
}

// BenchmarkExpireSweep: one expiry sweep (Service.ExpireDue) finding D = 1,000 due grants
// among N stored requests, each moved through two transactions, as state's
// BenchmarkExpireSweep does on bbolt. The requests are loaded with Import; the grants a
// sweep expired are made active again before the next, outside the timer.
func BenchmarkExpireSweep(b *testing.B) {
	const due = 1_000
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		n    int
		sync bool
	}{{10_000, true}, {50_000, true}, {10_000, false}} {
		name := fmt.Sprintf("N=%d/D=%d/Sync=%s", tc.n, due, map[bool]string{true: "on", false: "off"}[tc.sync])
		b.Run(name, func(b *testing.B) {
			b.StopTimer()
			var opts []etcdtest.Option
			if tc.sync {
				opts = append(opts, etcdtest.WithFsync())
			}
			srv := etcdtest.Start(b, opts...)
			prefix := etcdtest.Prefix(b)
			client := srv.Client(b)
			armed := bulkRequests(tc.n, due, t0)
			content := state.Content{
				Installation: "bench1", CreatedAt: t0, LastRequest: uint64(tc.n),
				Requests: func(yield func(*commands.Request, error) bool) {
					for _, r := range armed {
						if !yield(r, nil) {
							return
						}
					}
				},
				Audit:  func(func(state.AuditRecord, error) bool) {},
				Outbox: func(func(commands.Notification, error) bool) {},
			}
			if err := etcdstore.Import(context.Background(), client, prefix, content, 0); err != nil {
				b.Fatal(err)
			}
			s, err := etcdstore.Open(context.Background(), client, prefix)
			if err != nil {
				b.Fatal(err)
			}
			dc := &sweepDatacake{}
			svc := &commands.Service{Policy: &commands.Policy{}, Store: s, Datacake: dc, Clock: commandstest.NewClock(t0)}
			ctx := context.Background()
			dueNow, err := s.ExpiringBefore(ctx, t0)
			if err != nil || len(dueNow) != due {
				b.Fatalf("%d due after loading (%v), want %d", len(dueNow), err, due)
			}
			for range b.N {
				for _, r := range dueNow {
					if _, err := s.Update(ctx, r.ID, func(cur *commands.Request) (commands.Change, error) {
						*cur = *r.Clone()
						return commands.Change{}, nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := svc.ExpireDue(ctx)
				b.StopTimer()
				if err != nil || res.Done != due || res.Failed != 0 {
					b.Fatalf("ExpireDue: %+v, %v; want %d done", res, err, due)
				}
			}
			perSweep := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perSweep, "ns/sweep")
			b.ReportMetric(perSweep/due, "ns/due")
		})
	}
}

// bulkRequests makes n active requests by 1,000 users, due of them expired by t0 and the
// rest an hour or more after it.
func bulkRequests(n, due int, t0 time.Time) []*commands.Request {
	every := n / due
	out := make([]*commands.Request, n)
	for i := range out {
		id := commands.RequestID(i + 1)
		expires := t0.Add(time.Hour + time.Duration(i)*time.Second)
		if (i+1)%every == 0 {
			expires = t0.Add(-time.Duration(i) * time.Microsecond)
		}
		out[i] = &commands.Request{
			ID: id, Requester: fmt.Sprintf("U%04d", i%1000), Workspace: "ws", Role: "viewer",
			State: commands.StateActive, CreatedAt: t0.Add(-24 * time.Hour),
			Grant: &commands.Grant{APIUserID: fmt.Sprintf("api-%d", id),
				APIUserName: commands.APIUserName("", id, "u1"), ExpiresAt: expires},
		}
	}
	return out
}

// sweepDatacake deletes at once; the sweep makes no other call.
type sweepDatacake struct{ deleted atomic.Int64 }

func (d *sweepDatacake) CreateAPIUser(context.Context, commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	return commands.APIUser{}, "", errors.New("sweepDatacake: no creates in a sweep")
}

func (d *sweepDatacake) DeleteAPIUser(context.Context, string) error {
	d.deleted.Add(1)
	return nil
}

func (d *sweepDatacake) FindAPIUsers(context.Context, string, string) ([]commands.APIUser, error) {
	return nil, nil
}
