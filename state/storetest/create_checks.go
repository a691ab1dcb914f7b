package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// burst is how many requests of one person arrive at once in the create checks.
const burst = 30

// createAll makes burst requests of user at once over replicas, each prepared by prep, and
// returns what each Create answered.
func createAll(t *testing.T, h Harness, s Store, user string, rules commands.CreateRules, prep func(i int, r *commands.Request)) []error {
	stores := handles(t, h, s, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, burst)
	for i := range burst {
		wg.Go(func() {
			r := NewRequest(user)
			prep(i, r)
			c := commands.Change{Audit: []commands.AuditEvent{{Action: "request", To: r.State}}}
			<-start
			errs[i] = stores[i%len(stores)].Create(context.Background(), r, c, rules)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// testCreateCapsPending: 30 requests of one person at once, over five replicas, leave
// exactly MaxPending pending; other people's pending requests do not count, and one that
// leaves pending makes room.
func testCreateCapsPending(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	for range 10 {
		MustCreate(t, s, NewRequest("U2")) // someone else's
	}
	rules := commands.CreateRules{MaxPending: 5}
	ok := 0
	for _, err := range createAll(t, h, s, "U1", rules, func(int, *commands.Request) {}) {
		var capped *commands.PendingCapError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &capped):
			if capped.Pending != rules.MaxPending {
				t.Errorf("refused with %d pending, want %d", capped.Pending, rules.MaxPending)
			}
		default:
			t.Errorf("Create: %v", err)
		}
	}
	if ok != rules.MaxPending {
		t.Fatalf("%d of %d requests made at once were created, want exactly %d", ok, burst, rules.MaxPending)
	}
	mine, _ := s.ByUser(ctx, "U1", 0)
	MustUpdate(t, s, mine[0].ID, func(r *commands.Request) { r.State = commands.StateDenied })
	if err := s.Create(ctx, NewRequest("U1"), commands.Change{}, rules); err != nil {
		t.Fatalf("a request after one left pending: %v", err)
	}
	if err := s.Create(ctx, NewRequest("U1"), commands.Change{}, rules); err == nil {
		t.Fatal("a sixth pending request was created")
	}
}

// testCreateSameDelivery: one delivery arriving 30 times at once makes one request; every
// other arrival is told which.
func testCreateSameDelivery(t *testing.T, h Harness) {
	s := h.Open(t)
	var made []commands.RequestID
	var same []commands.RequestID
	errs := createAll(t, h, s, "U1", commands.CreateRules{}, func(_ int, r *commands.Request) { r.Key = "trigger-1" })
	for _, err := range errs {
		var dup *commands.SameDeliveryError
		switch {
		case err == nil:
			made = append(made, 0)
		case errors.As(err, &dup):
			same = append(same, dup.ID)
		default:
			t.Errorf("Create: %v", err)
		}
	}
	if len(made) != 1 {
		t.Fatalf("one delivery made %d requests, want 1", len(made))
	}
	mine, _ := s.ByUser(context.Background(), "U1", 0)
	for _, id := range same {
		if id != mine[0].ID {
			t.Fatalf("a repeat was pointed at %s, want %s", id, mine[0].ID)
		}
	}
	// The same key from another person is another delivery.
	r := NewRequest("U2")
	r.Key = "trigger-1"
	if err := s.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatalf("another person's delivery with the same key: %v", err)
	}
}

// testDeactivations: a person recorded as deactivated gets no new request until the record
// is cleared; recording twice keeps the first time; each record writes its audit event.
func testDeactivations(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	event := func(action string) commands.Change {
		return commands.Change{Audit: []commands.AuditEvent{{At: T0, Actor: "cakegate", Action: action}}}
	}
	if _, gone, err := s.DeactivatedAt(ctx, "U1"); err != nil || gone {
		t.Fatalf("DeactivatedAt before any: %v, %v", gone, err)
	}
	if err := s.RecordDeactivation(ctx, "U1", T0, event("deactivated")); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDeactivation(ctx, "U1", T0.Add(1), event("deactivated")); err != nil {
		t.Fatal(err)
	}
	if at, gone, err := s.DeactivatedAt(ctx, "U1"); err != nil || !gone || !at.Equal(T0) {
		t.Fatalf("DeactivatedAt = %v, %v, %v; want the first time", at, gone, err)
	}
	errs := createAll(t, h, s, "U1", commands.CreateRules{}, func(int, *commands.Request) {})
	for _, err := range errs {
		if !errors.Is(err, commands.ErrDeactivated) {
			t.Fatalf("a request of a deactivated person: %v, want refused", err)
		}
	}
	if err := s.Create(ctx, NewRequest("U2"), commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatalf("someone else's request: %v", err)
	}
	if err := s.ClearDeactivation(ctx, "U1", event("reactivated")); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearDeactivation(ctx, "U1", event("reactivated")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, NewRequest("U1"), commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatalf("a request after the record was cleared: %v", err)
	}
	assertAuditAndOutbox(t, s, 2, 0) // one deactivated, one reactivated; requests made here had none
}
