package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/cakegate/cakegate/commands"
)

// requestCache keeps requests as decoded, by their stored bytes: the sweeps read the same
// unchanged requests every minute (the expiry, pending and reconcile sweeps, the alarm),
// and decoding them again was most of what a quiet minute cost. A read that finds the
// bytes it decoded before gets a clone of that decoding (callers change what they get);
// other bytes are decoded and kept in its place. Nothing is ever invalidated: the bytes
// are the key.
type requestCache struct {
	mu sync.Mutex
	m  map[commands.RequestID]decodedRequest
}

type decodedRequest struct {
	raw []byte
	r   *commands.Request
}

// maxCachedRequests bounds the cache: past it, the cache starts again empty. Only open
// requests are kept (those the sweeps read again), which are far fewer.
const maxCachedRequests = 4096

// decode returns request id decoded from v, which bbolt owns (valid only in its
// transaction): the cache keeps a copy. A nil cache only decodes.
func (c *requestCache) decode(id commands.RequestID, v []byte) (*commands.Request, error) {
	if r, ok := c.get(id, v); ok {
		return r, nil
	}
	var r commands.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	if !r.State.Final() {
		// An ended request is seldom read again; keeping it would only cost a copy.
		c.put(id, v, r.Clone())
	}
	return &r, nil
}

// get returns a clone of what v decoded to before, if the cache has it.
func (c *requestCache) get(id commands.RequestID, v []byte) (*commands.Request, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	d, ok := c.m[id]
	c.mu.Unlock()
	if !ok || !bytes.Equal(d.raw, v) {
		return nil, false
	}
	return d.r.Clone(), true
}

// put keeps r as what v decodes to.
func (c *requestCache) put(id commands.RequestID, v []byte, r *commands.Request) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRequests {
		c.m = map[commands.RequestID]decodedRequest{}
	}
	c.m[id] = decodedRequest{raw: bytes.Clone(v), r: r}
}
