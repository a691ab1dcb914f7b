package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CachedDevices keeps what the request form asks of a DeviceDirectory for TTL: the device
// list, each search and the tags, so type-ahead does not ask Datacake on every keystroke.
// Callers that miss at the same time share one fetch. A failed fetch is kept for FailTTL,
// so a Datacake that is down is not asked again on every keystroke either. It is a
// DeviceFinder: over a directory that is one, searches go to it (a page of matches each);
// over one that only lists, they are answered from the cached list. Looking devices up
// by name (a submission) is not cached: it must see the workspace as it is.
type CachedDevices struct {
	Directory DeviceDirectory
	TTL       time.Duration // default one minute
	FailTTL   time.Duration // default five seconds
	Clock     Clock         // default the system clock
	// MaxEntries bounds how many answers are kept (each search is one). Default 1000.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]*deviceFetch
}

type deviceFetch struct {
	done    chan struct{} // closed when the result and err are set
	devices []Device
	tags    []string
	err     error
	at      time.Time
}

// Devices returns the workspace's devices, from the cache while it is fresh.
func (c *CachedDevices) Devices(ctx context.Context, workspace string) ([]Device, error) {
	f, err := c.fetch(ctx, "list\x00"+workspace, func(ctx context.Context, f *deviceFetch) {
		f.devices, f.err = c.Directory.Devices(ctx, workspace)
	})
	if err != nil {
		return nil, err
	}
	return f.devices, nil
}

// FindDevices implements DeviceFinder; it is not cached.
func (c *CachedDevices) FindDevices(ctx context.Context, workspace string, refs []string) ([]Device, error) {
	if f, ok := c.Directory.(DeviceFinder); ok {
		return f.FindDevices(ctx, workspace, refs)
	}
	return ListFinder{Directory: c}.FindDevices(ctx, workspace, refs)
}

// SearchDevices implements DeviceFinder, from the cache while it is fresh.
func (c *CachedDevices) SearchDevices(ctx context.Context, workspace string, q DeviceSearch) ([]Device, error) {
	finder, ok := c.Directory.(DeviceFinder)
	if !ok {
		return ListFinder{Directory: c}.SearchDevices(ctx, workspace, q)
	}
	key := "search\x00" + workspace + "\x00" + strings.ToLower(q.Search) + "\x00" + strings.Join(q.Tags, "\x01") + "\x00" + strconv.Itoa(q.Limit)
	f, err := c.fetch(ctx, key, func(ctx context.Context, f *deviceFetch) {
		f.devices, f.err = finder.SearchDevices(ctx, workspace, q)
	})
	if err != nil {
		return nil, err
	}
	return f.devices, nil
}

// DeviceTags implements DeviceFinder, from the cache while it is fresh.
func (c *CachedDevices) DeviceTags(ctx context.Context, workspace string) ([]string, error) {
	finder, ok := c.Directory.(DeviceFinder)
	if !ok {
		return ListFinder{Directory: c}.DeviceTags(ctx, workspace)
	}
	f, err := c.fetch(ctx, "tags\x00"+workspace, func(ctx context.Context, f *deviceFetch) {
		f.tags, f.err = finder.DeviceTags(ctx, workspace)
	})
	if err != nil {
		return nil, err
	}
	return f.tags, nil
}

// fetch returns the entry for key, running get for a new one when there is none or it is
// stale; callers of the same key at the same time share one get.
func (c *CachedDevices) fetch(ctx context.Context, key string, get func(context.Context, *deviceFetch)) (*deviceFetch, error) {
	now := c.now()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*deviceFetch{}
	}
	f, ok := c.entries[key]
	if ok {
		select {
		case <-f.done:
			ok = !c.stale(f, now)
		default: // a fetch is under way: share it
		}
	}
	if !ok {
		c.makeRoom(now)
		f = &deviceFetch{done: make(chan struct{}), at: now}
		c.entries[key] = f
		// Detached from this caller, so one caller giving up does not fail the others.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		go func() {
			defer cancel()
			defer close(f.done)
			// A panic in the directory must not take the process down from this
			// goroutine, nor leave every caller waiting: it fails this fetch.
			defer func() {
				if p := recover(); p != nil {
					f.err = fmt.Errorf("device directory panicked: %v", p)
				}
			}()
			get(fctx, f)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stale reports whether a finished fetch is too old to answer from at now.
func (c *CachedDevices) stale(f *deviceFetch, now time.Time) bool {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	if f.err != nil {
		ttl = c.FailTTL
		if ttl <= 0 {
			ttl = 5 * time.Second
		}
	}
	return now.Sub(f.at) >= ttl || now.Before(f.at)
}

// makeRoom drops stale entries, and the oldest finished ones, when the cache is full, so
// a stream of different searches cannot grow it without bound. c.mu is held.
func (c *CachedDevices) makeRoom(now time.Time) {
	limit := c.MaxEntries
	if limit <= 0 {
		limit = 1000
	}
	if len(c.entries) < limit {
		return
	}
	var finished []string
	for k, f := range c.entries {
		select {
		case <-f.done:
			if c.stale(f, now) {
				delete(c.entries, k)
			} else {
				finished = append(finished, k)
			}
		default:
		}
	}
	if len(c.entries) < limit {
		return
	}
	slices.SortFunc(finished, func(a, b string) int { return c.entries[a].at.Compare(c.entries[b].at) })
	for _, k := range finished[:min(len(finished), len(c.entries)-limit+1)] {
		delete(c.entries, k)
	}
}

func (c *CachedDevices) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}
