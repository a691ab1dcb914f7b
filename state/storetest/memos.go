package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testForgetOwn: a turn given back after its time ran out, when another replica has taken it
// anew, leaves the new one; given back in time, it is dropped.
func testForgetOwn(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	other := h.Replica(t, s)
	first, second := T0.Add(time.Minute), T0.Add(3*time.Minute)
	if ok, err := s.Remember(ctx, "turn:x", T0, first); !ok || err != nil {
		t.Fatalf("the first turn: %v, %v", ok, err)
	}
	if ok, err := other.Remember(ctx, "turn:x", first.Add(time.Second), second); !ok || err != nil {
		t.Fatalf("the second turn, after the first ran out: %v, %v", ok, err)
	}
	if err := s.ForgetOwn(ctx, "turn:x", first); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Remember(ctx, "turn:x", first.Add(2*time.Second), second); ok || err != nil {
		t.Fatalf("a third turn after the first was given back late: %v, %v; want the second still held", ok, err)
	}
	if err := other.ForgetOwn(ctx, "turn:x", second); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Remember(ctx, "turn:x", first.Add(3*time.Second), second); !ok || err != nil {
		t.Fatalf("a turn after the second was given back: %v, %v; want it free", ok, err)
	}
	if err := s.ForgetOwn(ctx, "turn:none", first); err != nil {
		t.Fatalf("giving back a turn nobody holds: %v", err)
	}
}

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
