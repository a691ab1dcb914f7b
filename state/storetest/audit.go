package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/commands"
)

// testAudit writes events through every write path and reads them back every way.
func testAudit(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := MustCreate(t, s, NewRequest("U1"))
	b := MustCreate(t, s, NewRequest("U2"))
	MustUpdate(t, s, a, func(r *commands.Request) { r.State = commands.StateDenied })
	if err := s.Record(ctx, commands.Change{Audit: []commands.AuditEvent{{At: T0, Actor: "cakegate", Action: "orphan", Detail: "api-9"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(ctx, b, func(r *commands.Request) (commands.Change, error) {
		// Two events in one change chain one after the other.
		return commands.Change{Audit: []commands.AuditEvent{{At: T0, Action: "one"}, {At: T0, Action: "two"}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	all, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	prev := ""
	for i, rec := range all {
		if rec.Seq != uint64(i+1) || rec.PrevHash != prev || rec.Hash == "" {
			t.Fatalf("record %d: seq %d, prev %q after %q: not a chain", i, rec.Seq, rec.PrevHash, prev)
		}
		prev = rec.Hash
		actions = append(actions, rec.Action)
	}
	if diff := cmp.Diff([]string{"request", "request", "test", "orphan", "one", "two"}, actions); diff != "" {
		t.Fatalf("audit actions (-want +got):\n%s", diff)
	}
	if all[3].Request != 0 || all[4].Request != b {
		t.Fatalf("Record's event names request %s, Update's %s; want none and %s", all[3].Request, all[4].Request, b)
	}

	page, err := s.AuditEvents(ctx, 2, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("AuditEvents(after 2, limit 2): %v, %v", page, err)
	}
	mine, err := s.AuditForRequest(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, rec := range mine {
		seqs = append(seqs, rec.Seq)
	}
	if diff := cmp.Diff([]uint64{2, 5, 6}, seqs); diff != "" {
		t.Fatalf("AuditForRequest(%s) (-want +got):\n%s", b, diff)
	}
	recent, err := h.Replica(t, s).RecentAudit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[0].Action != "two" || recent[1].Action != "one" {
		t.Fatalf("RecentAudit(2): %+v, want two then one", recent)
	}
	none, err := s.AuditForRequest(ctx, 99)
	if err != nil || len(none) != 0 {
		t.Fatalf("AuditForRequest(R99): %v, %v; want nothing", none, err)
	}
	assertAuditAndOutbox(t, s, 6, 0)
}

// testStats counts live requests and reads the counters.
func testStats(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := MustCreate(t, s, NewRequest("U1"))
	MustCreate(t, s, NewRequest("U1"))
	MustUpdate(t, s, a, func(r *commands.Request) {
		r.State = commands.StateActive
		r.Grant = &commands.Grant{ExpiresAt: T0.Add(time.Hour)}
	})
	if err := s.Record(ctx, commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyUser, To: "U1"}}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[commands.State]int{commands.StatePending: 1, commands.StateApproved: 0, commands.StateActive: 1, commands.StateProvisioning: 0, commands.StateRevoking: 0}
	if diff := cmp.Diff(want, st.Live, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Stats.Live (-want +got):\n%s", diff)
	}
	if st.Requests != 2 || st.AuditEvents != 3 || st.Outbox != 1 {
		t.Fatalf("Stats: %d requests, %d audit events, %d queued; want 2, 3, 1", st.Requests, st.AuditEvents, st.Outbox)
	}
}

// testInstallation: a store has one installation id, the same from every replica.
func testInstallation(t *testing.T, h Harness) {
	s := h.Open(t)
	id, created, err := s.Installation()
	if err != nil || len(id) != 6 || created.IsZero() {
		t.Fatalf("Installation: %q, %v, %v; want a 6-letter id and its time", id, created, err)
	}
	other, _, err := h.Replica(t, s).Installation()
	if err != nil || other != id {
		t.Fatalf("a replica sees installation %q (%v), want %q", other, err, id)
	}
}
