package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// With Config.Go running work inline, acknowledged work is done when async returns: the
// simulation relies on it to keep one goroutine in charge.
func TestGoRunsAcknowledgedWork(t *testing.T) {
	var ran []string
	b := New(Config{Go: func(work func()) { ran = append(ran, "go"); work() }})
	if !b.async(func(context.Context) { ran = append(ran, "work") }) {
		t.Fatal("async refused work")
	}
	if len(ran) != 2 || ran[0] != "go" || ran[1] != "work" {
		t.Fatalf("ran %v, want the work inline through Config.Go", ran)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v (the inline work was not counted done)", err)
	}
}

// Two bots with equally seeded Rands draw the same retry times: a seed replays.
func TestSeededRandReplaysRetryDelays(t *testing.T) {
	draw := func() []time.Duration {
		b := New(Config{Rand: rand.New(rand.NewPCG(7, 7))})
		var out []time.Duration
		for attempt := 1; attempt < 10; attempt++ {
			out = append(out, retryDelay(attempt, errors.New("internal_error"), b.jitter))
		}
		return out
	}
	a, c := draw(), draw()
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("draw %d: %v then %v, want the same with the same seed", i, a[i], c[i])
		}
	}
}
