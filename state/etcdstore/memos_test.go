package etcdstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// A burst of Remembers whose memos end in one span grants one lease, not one each: etcd
// keeps every lease until it expires, and a lease per Slack request is what the spans are
// there to avoid.
func TestRememberBurstGrantsOneLease(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, srv, etcdtest.Prefix(t))
	client := srv.Client(t)
	ctx := context.Background()
	leases := func() int {
		t.Helper()
		resp, err := client.Leases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.Leases)
	}
	before := leases()

	const n = 200
	until := storetest.T0.Add(10 * time.Minute)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			first, err := s.Remember(ctx, fmt.Sprint("sig:", i), storetest.T0, until)
			if err != nil || !first {
				t.Errorf("Remember %d: %v, %v; want true, nil", i, first, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := leases() - before; got != 1 {
		t.Errorf("%d Remembers in one span granted %d leases, want 1", n, got)
	}
}

// A grant that fails is not kept: the next Remember in the span grants its own lease.
func TestRememberAfterAFailedGrant(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, srv, etcdtest.Prefix(t))
	until := storetest.T0.Add(10 * time.Minute)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Remember(cancelled, "sig:a", storetest.T0, until); err == nil {
		t.Fatal("Remember with a cancelled context succeeded")
	}
	first, err := s.Remember(context.Background(), "sig:a", storetest.T0, until)
	if err != nil || !first {
		t.Fatalf("Remember after a failed grant: %v, %v; want true, nil", first, err)
	}
}
