package etcdstore_test

import (
	"context"
	"errors"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// A store of schema version 1 had no index of each requester's pending requests: opening it
// builds the index from the requests, so the cap counts what was pending before the upgrade.
func TestMigratePendingByUser(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	client := srv.Client(t)
	prefix := etcdtest.Prefix(t)
	s, err := etcdstore.Open(ctx, client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	}
	decided := storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	storetest.MustUpdate(t, s, decided, func(r *commands.Request) { r.State = commands.StateDenied })
	if _, err := client.Delete(ctx, prefix+"pending_by_user/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, prefix+"meta/schema_version", "1"); err != nil {
		t.Fatal(err)
	}

	s, err = etcdstore.Open(ctx, client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := client.Get(ctx, prefix+"meta/schema_version"); err != nil || string(v.Kvs[0].Value) != "3" {
		t.Fatalf("schema version after opening: %v, %v", v, err)
	}
	rules := commands.CreateRules{MaxPending: 4}
	if err := s.Create(ctx, storetest.NewRequest("U1"), commands.Change{}, rules); err != nil {
		t.Fatalf("the fourth pending request: %v", err)
	}
	var capped *commands.PendingCapError
	if err := s.Create(ctx, storetest.NewRequest("U1"), commands.Change{}, rules); !errors.As(err, &capped) || capped.Pending != 4 {
		t.Fatalf("the fifth: got %v, want refused with 4 pending", err)
	}
}
