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

// maxCachedRequests bounds the cache: past it, the cache starts again empty. The open
// requests, which the sweeps read, are far fewer.
const maxCachedRequests = 4096

// decode returns request id decoded from v, which bbolt owns (valid only in its
// transaction): the cache keeps a copy. A nil cache only decodes.
func (c *requestCache) decode(id commands.RequestID, v []byte) (*commands.Request, error) {
	if c == nil {
		var r commands.Request
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("decode request %s: %w", id, err)
		}
		return &r, nil
	}
	c.mu.Lock()
	d, ok := c.m[id]
	c.mu.Unlock()
	if ok && bytes.Equal(d.raw, v) {
		return d.r.Clone(), nil
	}
	var r commands.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedRequests {
		c.m = map[commands.RequestID]decodedRequest{}
	}
	c.m[id] = decodedRequest{raw: bytes.Clone(v), r: r.Clone()}
	c.mu.Unlock()
	return &r, nil
}
