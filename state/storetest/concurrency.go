package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// clicks is how many approvers click at once in the concurrency tests.
const clicks = 50

// replicas is how many handles on one store the concurrency tests spread their clicks
// over: with etcd, as many clients, so the compare-and-set is etcd's, not a local lock's.
const replicas = 5

// handles returns n handles on s: s itself and n-1 replicas.
func handles(t *testing.T, h Harness, s Store, n int) []Store {
	out := []Store{s}
	for len(out) < n {
		out = append(out, h.Replica(t, s))
	}
	return out
}

// testConcurrentCompareAndSet has 50 approvers, spread over five replicas, click at once:
// fn checks the state, so exactly one click moves the request on and every other sees it
// moved.
func testConcurrentCompareAndSet(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	id := MustCreate(t, s, NewRequest("U1"))
	stores := handles(t, h, s, replicas)

	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, clicks)
	)
	for i := range clicks {
		wg.Go(func() {
			<-start
			_, err := stores[i%len(stores)].Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
				if r.State != commands.StatePending {
					return commands.Change{}, commands.Errorf(commands.CodeWrongState, "%s is %s", r.ID, r.State)
				}
				r.State = commands.StateProvisioning
				return commands.Change{
					Audit:  []commands.AuditEvent{{Action: "approve", From: commands.StatePending, To: r.State}},
					Outbox: []commands.Notification{{Kind: commands.NotifyApprovalUpdate}},
				}, nil
			})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)

	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, commands.ErrWrongState):
			t.Errorf("Update: unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d Updates moved the request from pending, want exactly 1", ok)
	}
	if st := MustGet(t, s, id).State; st != commands.StateProvisioning {
		t.Fatalf("state %s, want provisioning", st)
	}
	assertAuditAndOutbox(t, s, 2, 1) // the create and the one approval
}

// testConcurrentCreates has 50 requests made at once over five replicas: each gets its own
// id, and the audit chain stays one chain.
func testConcurrentCreates(t *testing.T, h Harness) {
	s := h.Open(t)
	stores := handles(t, h, s, replicas)
	var wg sync.WaitGroup
	got := make(chan commands.RequestID, clicks)
	for i := range clicks {
		wg.Go(func() {
			r := NewRequest("U1")
			c := commands.Change{
				Audit:  []commands.AuditEvent{{Action: "request", To: r.State}},
				Outbox: []commands.Notification{{Kind: commands.NotifyApprovalRequest}},
			}
			if err := stores[i%len(stores)].Create(context.Background(), r, c, commands.CreateRules{}); err != nil {
				t.Errorf("Create: %v", err)
				return
			}
			got <- r.ID
		})
	}
	wg.Wait()
	close(got)
	seen := map[commands.RequestID]bool{}
	for id := range got {
		if seen[id] || id < 1 || id > clicks {
			t.Fatalf("id %s handed out twice or out of 1..%d", id, clicks)
		}
		seen[id] = true
	}
	if len(seen) != clicks {
		t.Fatalf("%d requests created, want %d", len(seen), clicks)
	}
	assertAuditAndOutbox(t, s, clicks, clicks)
	mine, err := s.ByUser(context.Background(), "U1", 0)
	if err != nil || len(mine) != clicks {
		t.Fatalf("ByUser: %d requests, %v; want %d", len(mine), err, clicks)
	}
	// Every notification has its own id, and names its request.
	due, err := s.DueNotifications(context.Background(), T0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[uint64]bool{}
	for _, n := range due {
		if ids[n.ID] || !seen[n.Request] {
			t.Fatalf("notification %+v: id reused or request unknown", n)
		}
		ids[n.ID] = true
	}
}
