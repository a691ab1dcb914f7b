package state_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

func TestStats(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for range 5 {
		MustCreate(t, s, newRequest("U1"))
	}
	MustUpdate(t, s, 1, activate(time.Hour))
	MustUpdate(t, s, 2, activate(time.Hour))
	MustUpdate(t, s, 3, moveTo(commands.StateProvisioning))
	MustUpdate(t, s, 4, moveTo(commands.StateDenied))
	MustUpdateChange(t, s, 5, commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyApprovers}}})

	got, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := state.Stats{
		Live: map[commands.State]int{
			commands.StatePending: 1, commands.StateApproved: 0, commands.StateProvisioning: 1,
			commands.StateActive: 2, commands.StateRevoking: 0,
		},
		Requests:    5,
		AuditEvents: 9, // five creates, four updates; the bare change wrote none
		Outbox:      1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Stats (-want +got):\n%s", diff)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	auditStory(t, s)

	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	// The store keeps working while and after it is copied; the copy is the moment it was taken.
	MustUpdate(t, s, 1, moveTo(commands.StateRevoking))

	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b := MustOpenAt(t, path)
	if got := MustGet(t, b, 1).State; got != commands.StateActive {
		t.Fatalf("R1 in backup is %s, want active as when copied", got)
	}
	if seq, err := b.VerifyAudit(ctx); seq != 0 || err != nil {
		t.Fatalf("VerifyAudit on backup = %d, %v", seq, err)
	}
	active, err := b.InState(ctx, commands.StateActive)
	if err != nil || len(active) != 1 {
		t.Fatalf("backup InState(active) = %d requests, %v; want 1", len(active), err)
	}
}
