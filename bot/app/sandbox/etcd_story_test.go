package sandbox

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestStoryOnEtcd plays the whole story with cakegate keeping its requests in a real
// (embedded) etcd: the same use cases, the same outbox, the same audit chain.
func TestStoryOnEtcd(t *testing.T) {
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	testStory(t, sandboxOptions{etcdEndpoint: srv.Endpoint, etcdPrefix: prefix}, func(t *testing.T, _ *sandbox) []byte {
		resp, err := srv.Client(t).Get(context.Background(), prefix, clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) == 0 {
			t.Fatal("nothing stored in etcd: the story ran on another store")
		}
		var all []byte
		for _, kv := range resp.Kvs {
			all = append(all, kv.Key...)
			all = append(all, kv.Value...)
		}
		return all
	})
}
