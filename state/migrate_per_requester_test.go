package state_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/storetest"
)

// A database of schema version 3 had no index of each requester's pending requests: the
// migration to version 4 builds it from the requests, so the cap counts what was pending
// before the upgrade.
func TestMigratePendingByUser(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	}
	decided := storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	storetest.MustUpdate(t, s, decided, func(r *commands.Request) { r.State = commands.StateDenied })
	s.Close()

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range []string{"pending_by_user", "delivery_keys", "deactivated"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("3"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rules := commands.CreateRules{MaxPending: 4}
	if err := s.Create(ctx, storetest.NewRequest("U1"), commands.Change{}, rules); err != nil {
		t.Fatalf("the fourth pending request: %v", err)
	}
	var capped *commands.PendingCapError
	if err := s.Create(ctx, storetest.NewRequest("U1"), commands.Change{}, rules); !errors.As(err, &capped) || capped.Pending != 4 {
		t.Fatalf("the fifth: got %v, want refused with 4 pending", err)
	}
}
