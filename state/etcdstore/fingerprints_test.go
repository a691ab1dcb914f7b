package etcdstore_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// fpChange is one change FollowFingerprints reported.
type fpChange struct {
	fp   string
	id   commands.RequestID
	live bool
}

// TestFollowFingerprints: a grant made live through one replica is in the index at once
// (LookupFingerprints) and reaches a follower on another replica; when it ends, its
// fingerprint leaves both.
func TestFollowFingerprints(t *testing.T) {
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	writer, follower := mustOpen(t, srv, prefix), mustOpen(t, srv, prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	loaded := make(chan map[string]commands.RequestID, 1)
	changes := make(chan fpChange, 10)
	followed := make(chan error, 1)
	go func() {
		followed <- follower.FollowFingerprints(ctx, func(all map[string]commands.RequestID) { loaded <- all },
			func(fp string, id commands.RequestID, live bool) { changes <- fpChange{fp, id, live} })
	}()
	select {
	case all := <-loaded:
		if len(all) != 0 {
			t.Fatalf("an empty store follows %v", all)
		}
	case <-ctx.Done():
		t.Fatal("FollowFingerprints never loaded")
	}

	fp := commands.Fingerprint("a-token-of-forty-characters-or-so-000000")
	id := storetest.MustCreate(t, writer, storetest.NewRequest("U1"))
	storetest.MustUpdate(t, writer, id, func(r *commands.Request) {
		r.State = commands.StateProvisioning
		r.Grant = &commands.Grant{APIUserID: "u1", Fingerprint: fp, ExpiresAt: storetest.T0.Add(time.Hour)}
	})
	found, err := follower.LookupFingerprints(ctx, []string{fp, commands.Fingerprint("no such token")})
	if err != nil || len(found) != 1 || found[fp] != id {
		t.Fatalf("LookupFingerprints: %v, %v; want only %s → %s", found, err, fp[:8], id)
	}
	want := func(live bool) {
		t.Helper()
		select {
		case c := <-changes:
			if c != (fpChange{fp, id, live}) {
				t.Fatalf("change %+v, want %s live=%v", c, id, live)
			}
		case <-ctx.Done():
			t.Fatalf("no change live=%v reached the follower", live)
		}
	}
	want(true)
	storetest.MustUpdate(t, writer, id, func(r *commands.Request) { r.State = commands.StateActive })
	storetest.MustUpdate(t, writer, id, func(r *commands.Request) { r.State = commands.StateRevoked })
	want(false)
	if found, err := follower.LookupFingerprints(ctx, []string{fp}); err != nil || len(found) != 0 {
		t.Fatalf("an ended grant is still looked up: %v, %v", found, err)
	}
	cancel()
	if err := <-followed; err != nil {
		t.Fatalf("FollowFingerprints ended with %v when its context ended", err)
	}
}

// TestMigrateFingerprints: a store of schema version 2 had no index of live tokens:
// opening it builds the index from the live grants, and only theirs.
func TestMigrateFingerprints(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	client := srv.Client(t)
	prefix := etcdtest.Prefix(t)
	s := mustOpen(t, srv, prefix)
	live, ended := commands.Fingerprint("live token"), commands.Fingerprint("ended token")
	for fp, st := range map[string]commands.State{live: commands.StateActive, ended: commands.StateExpired} {
		id := storetest.MustCreate(t, s, storetest.NewRequest("U1"))
		storetest.MustUpdate(t, s, id, func(r *commands.Request) {
			r.State, r.Grant = st, &commands.Grant{APIUserID: "u-" + string(st), Fingerprint: fp}
		})
	}
	if _, err := client.Delete(ctx, prefix+"live_fingerprints/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, prefix+"meta/schema_version", "2"); err != nil {
		t.Fatal(err)
	}
	s, err := etcdstore.Open(ctx, client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := client.Get(ctx, prefix+"meta/schema_version"); err != nil || string(v.Kvs[0].Value) != "3" {
		t.Fatalf("schema version after opening: %v, %v", v, err)
	}
	found, err := s.LookupFingerprints(ctx, []string{live, ended})
	if err != nil || len(found) != 1 || found[live] == 0 {
		t.Fatalf("after the migration the index holds %v (%v), want only the live token", found, err)
	}
}
