package etcdstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// TestConformance runs the suite every cakegate store passes against a real etcd server,
// each test under its own prefix, each replica with its own client.
func TestConformance(t *testing.T) {
	srv := etcdtest.Start(t)
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) storetest.Store {
			return mustOpen(t, srv, etcdtest.Prefix(t))
		},
		Replica: func(t *testing.T, s storetest.Store) storetest.Store {
			return mustOpen(t, srv, s.(*etcdstore.Store).Prefix())
		},
		WithKey: func(t *testing.T, s storetest.Store, key *state.AuditKey) storetest.Store {
			return mustOpen(t, srv, s.(*etcdstore.Store).Prefix(), etcdstore.WithAuditKey(key))
		},
		RewriteAudit: func(t *testing.T, s storetest.Store, seq uint64, v []byte) {
			key := fmt.Sprintf("%saudit/%020d", s.(*etcdstore.Store).Prefix(), seq)
			if _, err := srv.Client(t).Put(context.Background(), key, string(v)); err != nil {
				t.Fatalf("rewrite audit event %d: %v", seq, err)
			}
		},
	})
}

// mustOpen opens the store under prefix with a client of its own.
func mustOpen(t *testing.T, srv *etcdtest.Server, prefix string, opts ...etcdstore.Option) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(context.Background(), srv.Client(t), prefix, opts...)
	if err != nil {
		t.Fatalf("open etcd store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
