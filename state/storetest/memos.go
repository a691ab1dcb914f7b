package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testMemos: a memo is new once, on every replica, until its time passes or it is
// forgotten; of many replicas remembering one key at once, exactly one is told it is new.
func testMemos(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	other := h.Replica(t, s)
	until := T0.Add(11 * time.Minute)
	mustRemember := func(st Store, key string, now time.Time, want bool) {
		t.Helper()
		got, err := st.Remember(ctx, key, now, until)
		if err != nil || got != want {
			t.Fatalf("Remember(%q) at %v: %v, %v; want %v", key, now.Format(time.TimeOnly), got, err, want)
		}
	}
	mustRemember(s, "sig:a", T0, true)
	mustRemember(s, "sig:a", T0.Add(time.Minute), false)
	mustRemember(other, "sig:a", T0.Add(time.Minute), false) // another replica
	mustRemember(other, "sig:b", T0, true)
	mustRemember(s, "sig:a", until, true) // its time has passed: new again
	if err := other.Forget(ctx, "sig:b"); err != nil {
		t.Fatal(err)
	}
	mustRemember(s, "sig:b", T0, true)

	stores := handles(t, h, s, replicas)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		news  atomic.Int32
	)
	for i := range clicks {
		wg.Go(func() {
			<-start
			first, err := stores[i%len(stores)].Remember(ctx, "sig:burst", T0, until)
			if err != nil {
				t.Errorf("Remember: %v", err)
			}
			if first {
				news.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := news.Load(); n != 1 {
		t.Fatalf("%d of %d Remembers of one key at once were told it is new, want 1", n, clicks)
	}
}
