package state_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// auditStory stores two requests and moves them on, leaving seven audit events: R1 has
// 1, 3, 4, 5, 7 and R2 has 2, 6.
func auditStory(tb testing.TB, s *state.Store) {
	tb.Helper()
	ctx := context.Background()
	r1 := MustCreate(tb, s, newRequest("U1"))
	r2 := MustCreate(tb, s, newRequest("U2"))
	_, err := s.Update(ctx, r1, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateProvisioning
		return commands.Change{Audit: []commands.AuditEvent{
			{At: t0, Actor: "U9", Action: "approve", From: commands.StatePending, To: commands.StateProvisioning},
			{At: t0, Actor: "cakegate", Action: "provision", Detail: "api user cakegate-r1-u1"},
			// An event may name another request; Update fills in only zero ones.
			{At: t0, Actor: "cakegate", Action: "note", Request: r1, Detail: "bad utf-8: \xff"},
		}}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	MustUpdate(tb, s, r2, func(r *commands.Request) { r.State = commands.StateDenied })
	MustUpdate(tb, s, r1, func(r *commands.Request) { r.State = commands.StateActive })
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	auditStory(t, s)

	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests := []commands.RequestID{1, 2, 1, 1, 1, 2, 1}
	if len(recs) != len(wantRequests) {
		t.Fatalf("%d audit records, want %d", len(recs), len(wantRequests))
	}
	prev := ""
	for i, rec := range recs {
		if rec.Seq != uint64(i+1) || rec.Request != wantRequests[i] {
			t.Errorf("record %d: seq %d request %s, want seq %d request %s", i, rec.Seq, rec.Request, i+1, wantRequests[i])
		}
		// The chain is documented so that others can check it: hex SHA-256 over the previous
		// hash and the event's JSON.
		canon, err := json.Marshal(rec.AuditEvent)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(append([]byte(prev), canon...))
		if rec.PrevHash != prev || rec.Hash != hex.EncodeToString(sum[:]) {
			t.Errorf("record %d: prev %q hash %q, want prev %q hash %x", rec.Seq, rec.PrevHash, rec.Hash, prev, sum)
		}
		prev = rec.Hash
	}

	page, err := s.AuditEvents(ctx, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(page); !slices.Equal(got, []uint64{3, 4}) {
		t.Errorf("AuditEvents(after 2, limit 2) = %v, want [3 4]", got)
	}
	forR2, err := s.AuditForRequest(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(forR2); !slices.Equal(got, []uint64{2, 6}) {
		t.Errorf("AuditForRequest(R2) = %v, want [2 6]", got)
	}

	for _, chunk := range []int{1, 2, 7, 100} {
		if seq, err := s.VerifyAuditInChunks(ctx, chunk); seq != 0 || err != nil {
			t.Fatalf("VerifyAudit in chunks of %d on an intact log = %d, %v; want 0, nil", chunk, seq, err)
		}
	}
	if seq, err := s.VerifyAudit(ctx); seq != 0 || err != nil {
		t.Fatalf("VerifyAudit on an intact log = %d, %v; want 0, nil", seq, err)
	}
}

func TestVerifyAuditFindsDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(log *bbolt.Bucket) error
		want   uint64
	}{
		{"ChangedByte", func(log *bbolt.Bucket) error {
			// Still valid JSON, so only the hash can tell: U9 approved becomes U8 approved.
			v := bytes.Clone(log.Get(seqKey(3)))
			i := bytes.Index(v, []byte(`"actor":"U9"`))
			if i < 0 {
				return errors.New("actor of event 3 not found")
			}
			v[i+len(`"actor":"U`)] = '8'
			return log.Put(seqKey(3), v)
		}, 3},
		{"GarbledByte", func(log *bbolt.Bucket) error {
			v := bytes.Clone(log.Get(seqKey(5)))
			v[len(v)/2] ^= 0xff
			return log.Put(seqKey(5), v)
		}, 5},
		{"RemovedEvent", func(log *bbolt.Bucket) error { return log.Delete(seqKey(4)) }, 4},
		{"CutOffEnd", func(log *bbolt.Bucket) error {
			if err := log.Delete(seqKey(7)); err != nil {
				return err
			}
			return log.Delete(seqKey(6))
		}, 6},
		{"SwappedEvents", func(log *bbolt.Bucket) error {
			v2, v3 := bytes.Clone(log.Get(seqKey(2))), bytes.Clone(log.Get(seqKey(3)))
			if err := log.Put(seqKey(2), v3); err != nil {
				return err
			}
			return log.Put(seqKey(3), v2)
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustOpen(t)
			auditStory(t, s)
			MustClose(t, s)
			rawUpdate(t, s.Path(), func(tx *bbolt.Tx) error { return tc.damage(tx.Bucket([]byte("audit"))) })

			s = MustOpenAt(t, s.Path())
			seq, err := s.VerifyAudit(context.Background())
			if seq != tc.want || !errors.Is(err, state.ErrAuditBroken) {
				t.Fatalf("VerifyAudit = %d, %v; want %d and ErrAuditBroken", seq, err, tc.want)
			}
			// A long log is checked a chunk at a time; the answer must not depend on where
			// the chunks end.
			for chunk := 1; chunk <= 3; chunk++ {
				seq, err := s.VerifyAuditInChunks(context.Background(), chunk)
				if seq != tc.want || !errors.Is(err, state.ErrAuditBroken) {
					t.Fatalf("VerifyAudit in chunks of %d = %d, %v; want %d and ErrAuditBroken", chunk, seq, err, tc.want)
				}
			}
		})
	}
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func seqs(recs []state.AuditRecord) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}
