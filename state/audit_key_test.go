package state_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// testKeyBytes is a key that reads as text, so a leak is easy to search for.
var testKeyBytes = []byte("0123456789abcdef0123456789abcdef")

func mustKey(tb testing.TB, b []byte) *state.AuditKey {
	tb.Helper()
	k, err := state.NewAuditKey(b)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// keyedAuditStory is auditStory on a store keyed from its first event: event 1 is the
// keying event, 2 to 8 are the story's.
func keyedAuditStory(tb testing.TB, key *state.AuditKey) *state.Store {
	tb.Helper()
	s := MustOpenAt(tb, filepath.Join(tb.TempDir(), "cakegate.db"), state.WithAuditKey(key))
	if _, _, err := s.KeyAudit(context.Background(), commands.AuditEvent{At: t0, Actor: commands.Actor, Action: "audit_keyed"}); err != nil {
		tb.Fatal(err)
	}
	auditStory(tb, s)
	return s
}

func TestAuditKeyNeverShown(t *testing.T) {
	if _, err := state.NewAuditKey(testKeyBytes[:31]); err == nil {
		t.Fatal("NewAuditKey took a 31-byte key")
	}
	k := mustKey(t, testKeyBytes)
	if again := mustKey(t, testKeyBytes); again.ID() != k.ID() || len(k.ID()) != 16 {
		t.Fatalf("key id %q, again %q: want the same 16 hex digits", k.ID(), again.ID())
	}
	if other := mustKey(t, bytes.ToUpper(testKeyBytes)); other.ID() == k.ID() {
		t.Fatal("two keys have one id")
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "key", k, "in", struct{ K *state.AuditKey }{k})
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "key", k)
	shown := fmt.Sprintf("%v %+v %#v %s %q %x %X", k, k, k, k, k, k, k) + logged.String()
	for _, leak := range []string{string(testKeyBytes), hex.EncodeToString(testKeyBytes), "0123456789"} {
		if strings.Contains(strings.ToLower(shown), strings.ToLower(leak)) {
			t.Fatalf("the key shows as %q in:\n%s", leak, shown)
		}
	}
	if !strings.Contains(shown, k.ID()) {
		t.Fatalf("the key's id does not show in:\n%s", shown)
	}
}

// TestKeyedChainFormat: a keyed record's hash is documented so that others can check it:
// hex HMAC-SHA256 under the key over the previous hash and the event's JSON.
func TestKeyedChainFormat(t *testing.T) {
	key := mustKey(t, testKeyBytes)
	s := keyedAuditStory(t, key)
	recs, err := s.AuditEvents(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	prev := ""
	for _, rec := range recs {
		canon, err := json.Marshal(rec.AuditEvent)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, testKeyBytes)
		m.Write([]byte(prev))
		m.Write(canon)
		if rec.KeyID != key.ID() || rec.PrevHash != prev || rec.Hash != hex.EncodeToString(m.Sum(nil)) {
			t.Fatalf("event %d: key %q prev %q hash %q; want key %q prev %q hash %x", rec.Seq, rec.KeyID, rec.PrevHash, rec.Hash, key.ID(), prev, m.Sum(nil))
		}
		prev = rec.Hash
	}
}

// TestVerifyKeyedAuditFindsDamage: the damage the unkeyed chain finds, a keyed chain finds
// at the same events, whatever the chunks the log is read in.
func TestVerifyKeyedAuditFindsDamage(t *testing.T) {
	key := mustKey(t, testKeyBytes)
	for _, tc := range []struct {
		name   string
		damage func(tx *bbolt.Tx) error
		want   uint64
	}{
		{"RemovedEvent", func(tx *bbolt.Tx) error { return tx.Bucket([]byte("audit")).Delete(seqKey(5)) }, 5},
		{"CutOffEnd", func(tx *bbolt.Tx) error { return tx.Bucket([]byte("audit")).Delete(seqKey(8)) }, 8},
		// The marker moved later, as if the chain were keyed from event 3.
		{"MarkerMoved", func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("audit_keying"), []byte(`{"from":3,"key_id":"`+key.ID()+`"}`))
		}, 1},
		{"MarkerRemoved", func(tx *bbolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("audit_keying")) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := keyedAuditStory(t, key)
			MustClose(t, s)
			rawUpdate(t, s.Path(), tc.damage)
			s = MustOpenAt(t, s.Path(), state.WithAuditKey(key))
			for chunk := 1; chunk <= 3; chunk++ {
				seq, err := s.VerifyAuditInChunks(context.Background(), chunk)
				if seq != tc.want || !errors.Is(err, state.ErrAuditBroken) {
					t.Fatalf("VerifyAudit in chunks of %d = %d, %v; want %d and ErrAuditBroken", chunk, seq, err, tc.want)
				}
			}
		})
	}
}

// TestAuditKeyStrippedWhole is the limit of a keyed chain: someone who rewrites every keyed
// event as unkeyed and removes the marker leaves a chain that holds as an unkeyed one. The
// store tells: it has a key and the chain says it is unkeyed, so it writes nothing, and
// AuditKeying says unkeyed where the operator expects keyed.
func TestAuditKeyStrippedWhole(t *testing.T) {
	ctx := context.Background()
	key := mustKey(t, testKeyBytes)
	s := keyedAuditStory(t, key)
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	MustClose(t, s)
	rawUpdate(t, s.Path(), func(tx *bbolt.Tx) error {
		prev := ""
		for _, rec := range recs {
			rec.KeyID = ""
			canon, err := json.Marshal(rec.AuditEvent)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(append([]byte(prev), canon...))
			rec.PrevHash, rec.Hash = prev, hex.EncodeToString(sum[:])
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := tx.Bucket([]byte("audit")).Put(seqKey(rec.Seq), v); err != nil {
				return err
			}
			prev = rec.Hash
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("audit_keying"))
	})
	s = MustOpenAt(t, s.Path(), state.WithAuditKey(key))
	if k, err := s.AuditKeying(ctx); err != nil || k.Keyed() {
		t.Fatalf("AuditKeying after the strip: %+v, %v; want unkeyed", k, err)
	}
	if err := s.Record(ctx, commands.Change{Audit: []commands.AuditEvent{{At: t0, Action: "note"}}}); !errors.Is(err, state.ErrAuditNotKeyed) {
		t.Fatalf("a write on the stripped chain: %v; want ErrAuditNotKeyed", err)
	}
}

// TestKeyedChainBackup: a copy of a keyed database (backup, export and import) is keyed
// from the same event with the same key, and verifies with it.
func TestKeyedChainBackup(t *testing.T) {
	ctx := context.Background()
	key := mustKey(t, testKeyBytes)
	s := keyedAuditStory(t, key)
	want, err := s.AuditKeying(ctx)
	if err != nil || want != (state.AuditKeying{From: 1, KeyID: key.ID()}) {
		t.Fatalf("AuditKeying: %+v, %v", want, err)
	}
	imported := filepath.Join(t.TempDir(), "imported.db")
	if err := s.Export(ctx, func(c state.Content) error { return state.Import(ctx, imported, c) }); err != nil {
		t.Fatal(err)
	}
	MustClose(t, s) // else the snapshot is asked of the control socket of a running cakegate
	snap, closeSnap, err := state.OpenSnapshot(s.Path(), state.WithAuditKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer closeSnap()
	for name, c := range map[string]*state.Store{"import": MustOpenAt(t, imported, state.WithAuditKey(key)), "snapshot": snap} {
		if got, err := c.AuditKeying(ctx); err != nil || got != want {
			t.Errorf("%s: AuditKeying %+v, %v; want %+v", name, got, err, want)
		}
		if broken, err := c.VerifyAudit(ctx); broken != 0 || err != nil {
			t.Errorf("%s: VerifyAudit = %d, %v", name, broken, err)
		}
	}
}
