package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// mustAuditKey is a key of 32 bytes of b.
func mustAuditKey(tb testing.TB, b byte) *state.AuditKey {
	tb.Helper()
	k, err := state.NewAuditKey(bytes.Repeat([]byte{b}, state.MinAuditKeyLen))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// keyingEvent is the event cakegate writes when it keys the chain.
var keyingEvent = commands.AuditEvent{At: T0, Actor: commands.Actor, Action: "audit_keyed"}

// orphanChange is a change with one audit event and no request.
var orphanChange = commands.Change{Audit: []commands.AuditEvent{{At: T0, Actor: commands.Actor, Action: "orphan"}}}

// keyedStore returns a store whose chain has event 1 unkeyed, then is keyed with key from
// event 2 (the keying event), with events 3 and 4 after it: a database that ran without a
// key, then with one.
func keyedStore(t *testing.T, h Harness, key *state.AuditKey) Store {
	t.Helper()
	s := h.Open(t)
	a := MustCreate(t, s, NewRequest("U1"))
	s = h.WithKey(t, s, key)
	if _, _, err := s.KeyAudit(context.Background(), keyingEvent); err != nil {
		t.Fatalf("KeyAudit: %v", err)
	}
	MustUpdate(t, s, a, func(r *commands.Request) { r.State = commands.StateDenied })
	MustCreate(t, s, NewRequest("U2"))
	return s
}

// testAuditKeyed: a chain that ran unkeyed is keyed from one event on, once; a store
// without the key, or with another, neither writes to it nor takes it for verified.
func testAuditKeyed(t *testing.T, h Harness) {
	ctx := context.Background()
	key, other := mustAuditKey(t, 'k'), mustAuditKey(t, 'o')
	s := h.Open(t)
	a := MustCreate(t, s, NewRequest("U1"))
	if k, err := s.AuditKeying(ctx); err != nil || k.Keyed() {
		t.Fatalf("AuditKeying of a new store: %+v, %v; want unkeyed", k, err)
	}

	s = h.WithKey(t, s, key)
	// A store with a key writes no event before the chain is keyed, so keying happens at
	// one place, and an unkeyed chain met later is noticed.
	if err := s.Record(ctx, orphanChange); !errors.Is(err, state.ErrAuditNotKeyed) {
		t.Fatalf("Record with a key before KeyAudit: %v; want ErrAuditNotKeyed", err)
	}
	want := state.AuditKeying{From: 2, KeyID: key.ID()}
	if k, wrote, err := s.KeyAudit(ctx, keyingEvent); err != nil || !wrote || k != want {
		t.Fatalf("KeyAudit: %+v, %v, %v; want %+v written", k, wrote, err, want)
	}
	if k, wrote, err := s.KeyAudit(ctx, keyingEvent); err != nil || wrote || k != want {
		t.Fatalf("KeyAudit again: %+v, %v, %v; want %+v, nothing written", k, wrote, err, want)
	}
	MustUpdate(t, s, a, func(r *commands.Request) { r.State = commands.StateDenied })
	MustCreate(t, s, NewRequest("U2"))
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		wantID := key.ID()
		if rec.Seq < want.From {
			wantID = ""
		}
		if rec.KeyID != wantID {
			t.Fatalf("event %d (%s) has key id %q, want %q", rec.Seq, rec.Action, rec.KeyID, wantID)
		}
	}
	if recs[1].Action != "audit_keyed" {
		t.Fatalf("event 2 is %q, want the keying event", recs[1].Action)
	}
	if k, err := s.AuditKeying(ctx); err != nil || k != want {
		t.Fatalf("AuditKeying: %+v, %v; want %+v", k, err, want)
	}
	assertAuditAndOutbox(t, s, 4, 0)

	// Without the key: the events before the keyed ones are checked, the rest cannot be,
	// and nothing is written after them.
	s = h.WithKey(t, s, nil)
	if broken, err := s.VerifyAudit(ctx); broken != 2 || !errors.Is(err, state.ErrAuditKeyNeeded) {
		t.Fatalf("VerifyAudit without the key = %d, %v; want 2 and ErrAuditKeyNeeded", broken, err)
	}
	if err := s.Record(ctx, orphanChange); !errors.Is(err, state.ErrAuditKeyNeeded) {
		t.Fatalf("Record without the key: %v; want ErrAuditKeyNeeded", err)
	}
	_, err = s.Update(ctx, a, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateCancelled
		return commands.Change{Audit: []commands.AuditEvent{{At: T0, Action: "cancel"}}}, nil
	})
	if !errors.Is(err, state.ErrAuditKeyNeeded) {
		t.Fatalf("Update without the key: %v; want ErrAuditKeyNeeded", err)
	}
	if r := MustGet(t, s, a); r.State != commands.StateDenied {
		t.Fatalf("the refused update wrote the request: %s", r.State)
	}
	if _, _, err := s.KeyAudit(ctx, keyingEvent); err == nil {
		t.Fatal("KeyAudit without a key succeeded")
	}

	// With another key: told apart from a broken chain by the key id, refused alike.
	s = h.WithKey(t, s, other)
	if broken, err := s.VerifyAudit(ctx); broken != 2 || !errors.Is(err, state.ErrAuditWrongKey) {
		t.Fatalf("VerifyAudit with another key = %d, %v; want 2 and ErrAuditWrongKey", broken, err)
	}
	if err := s.Record(ctx, orphanChange); !errors.Is(err, state.ErrAuditWrongKey) {
		t.Fatalf("Record with another key: %v; want ErrAuditWrongKey", err)
	}
	if _, wrote, err := s.KeyAudit(ctx, keyingEvent); wrote || !errors.Is(err, state.ErrAuditWrongKey) {
		t.Fatalf("KeyAudit with another key: wrote %v, %v; want ErrAuditWrongKey", wrote, err)
	}

	// The right key again: nothing was written meanwhile.
	s = h.WithKey(t, s, key)
	assertAuditAndOutbox(t, s, 4, 0)
}

// testAuditKeyedRewritten rewrites a keyed chain as someone with write access to the
// database but without the key could, recomputing every hash after the change: verify
// with the key names the first event that no longer holds.
func testAuditKeyedRewritten(t *testing.T, h Harness) {
	other := mustAuditKey(t, 'o')
	for _, tc := range []struct {
		name string
		// from is the first event rewritten; change alters it.
		from   int
		change func(rec *state.AuditRecord)
		strip  bool // drop the key ids of the events rewritten
		want   uint64
	}{
		{"KeyedEvent", 3, func(rec *state.AuditRecord) { rec.Actor = "U8" }, false, 3},
		// Event 1 still holds as an unkeyed event, but event 2's HMAC covers its hash.
		{"UnkeyedEventBeforeTheKeyedOnes", 1, func(rec *state.AuditRecord) { rec.Actor = "U8" }, false, 2},
		{"KeyStripped", 2, func(*state.AuditRecord) {}, true, 2},
		{"KeyIDOfAnother", 3, func(rec *state.AuditRecord) { rec.KeyID = other.ID() }, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := keyedStore(t, h, mustAuditKey(t, 'k'))
			recs, err := s.AuditEvents(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for seq, v := range rechainWithoutKey(t, recs, tc.from, tc.change, tc.strip) {
				h.RewriteAudit(t, s, seq, v)
			}
			broken, err := s.VerifyAudit(ctx)
			if broken != tc.want || !errors.Is(err, state.ErrAuditBroken) {
				t.Fatalf("VerifyAudit with the key = %d, %v; want %d and ErrAuditBroken", broken, err, tc.want)
			}
		})
	}
}

// rechainWithoutKey returns the stored form of recs (a whole chain, oldest first) from
// event from on, after change has been applied to that event, with every hash from there
// chained again as someone without the key can (chainUnkeyed), the key ids left as they
// were unless strip drops them.
func rechainWithoutKey(tb testing.TB, recs []state.AuditRecord, from int, change func(*state.AuditRecord), strip bool) map[uint64][]byte {
	tb.Helper()
	out := map[uint64][]byte{}
	prev := recs[from-1].PrevHash
	for _, rec := range recs[from-1:] {
		if int(rec.Seq) == from {
			change(&rec)
		}
		if strip {
			rec.KeyID = ""
		}
		forged, v, err := chainUnkeyed(prev, rec)
		if err != nil {
			tb.Fatal(err)
		}
		out[rec.Seq] = v
		prev = forged.Hash
	}
	return out
}
