package datacake_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
)

// TestConcurrencyLimit fires many calls at a slow fake and checks that no more than
// MaxConcurrency were in flight at once, and that the limit was reached.
func TestConcurrencyLimit(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			f := newFixture(t)
			f.SetLatency(15 * time.Millisecond)
			c, _ := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) { o.MaxConcurrency = limit })
			var wg sync.WaitGroup
			errs := make(chan error, 4*limit)
			for range 4 * limit {
				wg.Go(func() {
					_, err := c.Me(t.Context())
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := f.MaxInFlight(); got != limit {
				t.Errorf("at most %d calls in flight, want %d", got, limit)
			}
		})
	}
}

// TestRateLimit checks the token bucket: a burst of 2×MaxRPS passes at once, and the next
// call would have to wait, which a short deadline turns into an error before any request.
func TestRateLimit(t *testing.T) {
	for _, rps := range []float64{1, 3} {
		t.Run(strconv.FormatFloat(rps, 'f', -1, 64), func(t *testing.T) {
			f := newFixture(t)
			c, _ := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) { o.MaxRPS = rps })
			burst := int(2 * rps)
			for i := range burst {
				if _, err := c.Me(t.Context()); err != nil {
					t.Fatalf("call %d of the burst: %v", i+1, err)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			if _, err := c.Me(ctx); err == nil {
				t.Fatal("call beyond the burst passed at once")
			}
			if got := f.CallCount(""); got != burst {
				t.Errorf("the fake saw %d calls, want %d", got, burst)
			}
		})
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	f := newFixture(t)
	f.SetLatency(time.Hour)
	c, sl := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) { o.Timeout, o.MaxRetries = 20*time.Millisecond, 2 })
	_, err := c.Workspaces(t.Context())
	var temp *datacake.TemporaryError
	if !errors.As(err, &temp) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a TemporaryError from the timeout", err)
	}
	if n := f.CallCount(""); n != 3 || len(sl.Waits()) != 2 {
		t.Errorf("%d calls and waits %v, want 3 calls and 2 waits", n, sl.Waits())
	}
}
