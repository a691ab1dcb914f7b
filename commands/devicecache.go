package commands

import (
	"context"
	"sync"
	"time"
)

// CachedDevices keeps each workspace's device list for TTL, so type-ahead search in the
// request form and its submission do not ask Datacake on every keystroke. Callers that miss
// at the same time share one fetch. A failed fetch is not cached.
type CachedDevices struct {
	Directory DeviceDirectory
	TTL       time.Duration // default one minute
	Clock     Clock         // default the system clock

	mu      sync.Mutex
	entries map[string]*deviceFetch
}

type deviceFetch struct {
	done    chan struct{} // closed when devices and err are set
	devices []Device
	err     error
	at      time.Time
}

// Devices returns the workspace's devices, from the cache while it is fresh.
func (c *CachedDevices) Devices(ctx context.Context, workspace string) ([]Device, error) {
	now := c.now()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*deviceFetch{}
	}
	f, ok := c.entries[workspace]
	if ok {
		select {
		case <-f.done:
			if f.err != nil || now.Sub(f.at) >= c.ttl() || now.Before(f.at) {
				ok = false
			}
		default: // a fetch is under way: share it
		}
	}
	if !ok {
		f = &deviceFetch{done: make(chan struct{}), at: now}
		c.entries[workspace] = f
		// Detached from this caller, so one caller giving up does not fail the others.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		go func() {
			defer cancel()
			f.devices, f.err = c.Directory.Devices(fctx, workspace)
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.devices, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *CachedDevices) ttl() time.Duration {
	if c.TTL <= 0 {
		return time.Minute
	}
	return c.TTL
}

func (c *CachedDevices) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}
