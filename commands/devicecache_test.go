package commands_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// countingDevices counts fetches and can hold them until released.
type countingDevices struct {
	calls   atomic.Int64
	release chan struct{}
	err     error
}

func (d *countingDevices) Devices(ctx context.Context, _ string) ([]commands.Device, error) {
	d.calls.Add(1)
	if d.release != nil {
		<-d.release
	}
	return testDevices, d.err
}

func TestCachedDevices(t *testing.T) {
	ctx := context.Background()
	clock := commandstest.NewClock(start)
	dir := &countingDevices{release: make(chan struct{})}
	c := &commands.CachedDevices{Directory: dir, TTL: time.Minute, Clock: clock}

	// Fifty keystrokes at once: one fetch.
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if got, err := c.Devices(ctx, "ws-1"); err != nil || len(got) != len(testDevices) {
				t.Errorf("got %v, %v", got, err)
			}
		})
	}
	close(dir.release)
	wg.Wait()
	if n := dir.calls.Load(); n != 1 {
		t.Fatalf("%d fetches for 50 concurrent lookups, want 1", n)
	}
	clock.Advance(59 * time.Second)
	c.Devices(ctx, "ws-1")
	if n := dir.calls.Load(); n != 1 {
		t.Fatalf("fetched again within the TTL")
	}
	clock.Advance(time.Second)
	c.Devices(ctx, "ws-1")
	if n := dir.calls.Load(); n != 2 {
		t.Fatalf("got %d fetches, want a new one after the TTL", n)
	}
	c.Devices(ctx, "ws-2")
	if n := dir.calls.Load(); n != 3 {
		t.Fatalf("workspaces share a cache entry")
	}
}

// TestCachedDevicesKeepsErrorsBriefly: while Datacake is down, keystrokes do not each ask
// it again; after FailTTL the next one does.
func TestCachedDevicesKeepsErrorsBriefly(t *testing.T) {
	clock := commandstest.NewClock(start)
	dir := &countingDevices{err: errors.New("datacake: temporary failure")}
	c := &commands.CachedDevices{Directory: dir, Clock: clock, FailTTL: 5 * time.Second}
	for range 3 {
		if _, err := c.Devices(context.Background(), "ws-1"); err == nil {
			t.Fatal("want the error")
		}
	}
	if n := dir.calls.Load(); n != 1 {
		t.Fatalf("got %d fetches for 3 lookups within FailTTL, want 1", n)
	}
	clock.Advance(5 * time.Second)
	dir.err = nil
	if _, err := c.Devices(context.Background(), "ws-1"); err != nil {
		t.Fatalf("after FailTTL: %v", err)
	}
	if n := dir.calls.Load(); n != 2 {
		t.Fatalf("got %d fetches, want a new one after FailTTL", n)
	}
}

func TestRequestErrorFields(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		in   commands.RequestInput
		want string
	}{
		{commands.RequestInput{Requester: carol, Role: "admin", Reason: "x"}, commands.FieldRole},
		{commands.RequestInput{Requester: carol, Role: "ops-only", Reason: "x"}, commands.FieldRole},
		{commands.RequestInput{Requester: carol, Role: "field", Reason: "x", Duration: 48 * time.Hour}, commands.FieldDuration},
		{commands.RequestInput{Requester: carol, Role: "viewer", Reason: "x"}, commands.FieldDevices},
		{commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN9"}, Reason: "x"}, commands.FieldDevices},
		{commands.RequestInput{Requester: carol, Role: "viewer", Reason: " "}, commands.FieldReason},
	} {
		_, err := e.svc.Request(context.Background(), tc.in)
		if got := commands.ErrorField(err); got != tc.want {
			t.Errorf("Request(%+v): error %v about %q, want %q", tc.in, err, got, tc.want)
		}
	}
}
