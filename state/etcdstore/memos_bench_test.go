package etcdstore_test

import (
	"context"
	"testing"

	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// BenchmarkRememberBurst: the replay record on an embedded one-member etcd with fsync on.
func BenchmarkRememberBurst(b *testing.B) {
	srv := etcdtest.Start(b, etcdtest.WithFsync())
	s, err := etcdstore.Open(context.Background(), srv.Client(b), etcdtest.Prefix(b))
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchRememberBurst(b, s)
}
