package state_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// TestMigrateMarksTokenDMs: opening a schema-2 database (from before Reveal) marks every
// live grant as having its token in a direct message, so that message is edited when the
// grant ends, and counts its clock as started; requests without a grant are left alone.
func TestMigrateMarksTokenDMs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	grant := &commands.Grant{APIUserID: "u1", APIUserName: "cakegate-r1-alice", CreatedAt: created, ExpiresAt: created.Add(8 * time.Hour)}
	for _, r := range []*commands.Request{
		{Requester: "U1", State: commands.StateActive, Grant: grant},
		{Requester: "U1", State: commands.StatePending},
		{Requester: "U1", State: commands.StateExpired, Grant: grant},
	} {
		if err := s.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = reopenAsSchema2(t, path, nil)
	for id, want := range map[commands.RequestID]bool{1: true, 2: false, 3: false} {
		r, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.TokenInDM != want {
			t.Errorf("%s (%s): TokenInDM %v, want %v", id, r.State, r.TokenInDM, want)
		}
		if want && !r.RevealedAt.Equal(created) {
			t.Errorf("%s: revealed at %v, want its grant's creation %v", id, r.RevealedAt, created)
		}
	}
}

// TestMigrateIndexesProvisioningGrants: until schema 3 a request left in provisioning with
// its grant recorded (the token delivered, the write marking it active failed) was not in
// the expiry index. Opening such a file must add it, or expiry never finds that grant.
func TestMigrateIndexesProvisioningGrants(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := &commands.Request{Requester: "U1", State: commands.StateProvisioning,
		Grant: &commands.Grant{APIUserID: "u1", APIUserName: "cakegate-r1-alice", CreatedAt: created, ExpiresAt: created.Add(time.Hour)}}
	if err := s.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Make the file as schema 2 left it: no by_expiry entry for the provisioning grant.
	s = reopenAsSchema2(t, path, func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket([]byte("by_expiry")); err != nil {
			return err
		}
		_, err := tx.CreateBucket([]byte("by_expiry"))
		return err
	})
	due, err := s.ExpiringBefore(ctx, created.Add(2*time.Hour))
	if err != nil || len(due) != 1 || due[0].ID != r.ID {
		t.Fatalf("ExpiringBefore after the migration: %v, %v; want %s", due, err, r.ID)
	}
}

// reopenAsSchema2 marks the closed database at path as schema 2 left it (after change, if
// any, makes the rest of that past), and opens it again, which migrates it; it is closed
// when the test ends.
func reopenAsSchema2(t *testing.T, path string, change func(tx *bbolt.Tx) error) *state.Store {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if change != nil {
			if err := change(tx); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
