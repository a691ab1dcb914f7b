package state_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// A write the fault refuses writes nothing and says which write failed; the others go on.
func TestWriteFaultFailsTheWriteAndWritesNothing(t *testing.T) {
	full := errors.New("no space left on device")
	var refuse string
	var asked []string
	s, err := state.Open(filepath.Join(t.TempDir(), "cakegate.db"), state.WithLockTimeout(100*time.Millisecond),
		state.WithWriteFault(func(op string) error {
			asked = append(asked, op)
			if op == refuse {
				return full
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id := MustCreate(t, s, newRequest("U1"))

	refuse = "update"
	_, err = s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		r.Reason = "changed"
		return commands.Change{Audit: []commands.AuditEvent{{Actor: "U1", Action: "edit"}}}, nil
	})
	if !errors.Is(err, full) {
		t.Fatalf("Update: got %v, want the fault's error", err)
	}
	if got := MustGet(t, s, id); got.Reason == "changed" {
		t.Fatal("the refused update was written")
	}
	refuse = "record"
	if err := s.Record(ctx, commands.Change{Audit: []commands.AuditEvent{{Actor: "x", Action: "y"}}}); !errors.Is(err, full) {
		t.Fatalf("Record: got %v, want the fault's error", err)
	}
	refuse = ""
	MustUpdate(t, s, id, func(r *commands.Request) { r.Reason = "changed" })
	want := []string{"create", "update", "record", "update"}
	if len(asked) != len(want) {
		t.Fatalf("asked %v, want %v", asked, want)
	}
	for i := range want {
		if asked[i] != want[i] {
			t.Fatalf("asked %v, want %v", asked, want)
		}
	}
}
