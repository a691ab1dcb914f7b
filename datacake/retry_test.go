package datacake_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/datacake"
)

func TestRetriesTemporaryFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inject    func(*fixture)
		call      func(context.Context, *datacake.Client, *fixture) error
		calls     int
		wantWaits []time.Duration // exact waits; nil to check only their number
		waits     int
	}{
		{name: "ServerErrorThenSuccess",
			inject: func(f *fixture) { f.FailNext(2, http.StatusServiceUnavailable) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.Workspaces(ctx)
				return err
			},
			calls: 3, waits: 2},
		{name: "RetryAfterHonoured",
			inject: func(f *fixture) { f.RateLimitNext(1, 3*time.Second) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.Devices(ctx, ws, datacake.DeviceFilter{})
				return err
			},
			calls:     2,
			wantWaits: []time.Duration{3 * time.Second}},
		{name: "RetryAfterRoundedUpToSeconds",
			inject:    func(f *fixture) { f.RateLimitNext(2, 1500*time.Millisecond) },
			call:      func(ctx context.Context, c *datacake.Client, _ *fixture) error { _, err := c.Me(ctx); return err },
			calls:     3,
			wantWaits: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "DeleteIsRetriedAfter5xx",
			inject: func(f *fixture) { f.FailNext(1, http.StatusBadGateway) },
			call: func(ctx context.Context, c *datacake.Client, f *fixture) error {
				return c.DeleteAPIUser(ctx, f.APIUsers(ws)[0].ID)
			},
			calls: 2, waits: 1},
		{name: "CreateIsRetriedAfter429",
			inject: func(f *fixture) { f.RateLimitNext(1, time.Second) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: ws, Name: "again"})
				return err
			},
			calls:     2,
			wantWaits: []time.Duration{time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c, sl := newClient(t, f.URL(), ownerToken, nil)
			if _, err := c.CreateAPIUser(t.Context(), datacake.CreateAPIUserInput{Workspace: ws, Name: "existing"}); err != nil {
				t.Fatal(err)
			}
			before := f.CallCount("")
			tc.inject(f)
			if err := tc.call(t.Context(), c, f); err != nil {
				t.Fatalf("call: %v", err)
			}
			if got := f.CallCount("") - before; got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
			waits := sl.Waits()
			if tc.wantWaits != nil {
				if !cmp.Equal(waits, tc.wantWaits) {
					t.Errorf("waits %v, want %v", waits, tc.wantWaits)
				}
			} else if len(waits) != tc.waits {
				t.Errorf("waits %v, want %d of them", waits, tc.waits)
			}
		})
	}
}

// TestBackoffDoublesWithJitter checks each wait lies between half and all of the
// doubled delay, capped at MaxDelay.
func TestBackoffDoublesWithJitter(t *testing.T) {
	f := newFixture(t)
	f.FailNext(5, http.StatusInternalServerError)
	c, sl := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) {
		o.BaseDelay, o.MaxDelay, o.MaxRetries = 100*time.Millisecond, 400*time.Millisecond, 5
	})
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	ceilings := []time.Duration{100, 200, 400, 400, 400}
	waits := sl.Waits()
	if len(waits) != len(ceilings) {
		t.Fatalf("waits %v, want %d", waits, len(ceilings))
	}
	for i, w := range waits {
		hi := ceilings[i] * time.Millisecond
		if w < hi/2 || w > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i+1, w, hi/2, hi)
		}
	}
}

func TestNegativeMaxRetriesDisablesRetries(t *testing.T) {
	f := newFixture(t)
	f.FailNext(1, http.StatusInternalServerError)
	c, sl := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) { o.MaxRetries = -1 })
	_, err := c.Me(t.Context())
	var temp *datacake.TemporaryError
	if !errors.As(err, &temp) || temp.Status != http.StatusInternalServerError {
		t.Fatalf("got %v, want a TemporaryError with status 500", err)
	}
	if f.CallCount("") != 1 || len(sl.Waits()) != 0 {
		t.Errorf("%d calls, waits %v; want 1 call, no waits", f.CallCount(""), sl.Waits())
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	f := newFixture(t)
	f.FailNext(10, http.StatusBadGateway)
	ctx, cancel := context.WithCancel(t.Context())
	c, _ := newClient(t, f.URL(), ownerToken, func(o *datacake.Options) {
		o.Sleep = func(ctx context.Context, _ time.Duration) error {
			cancel() // the caller gives up during the first backoff
			return ctx.Err()
		}
	})
	_, err := c.Workspaces(ctx)
	if !errors.Is(err, context.Canceled) || datacake.IsTemporary(err) {
		t.Fatalf("got %v, want context.Canceled and not temporary", err)
	}
	if n := f.CallCount(""); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
