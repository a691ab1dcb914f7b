package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// InState returns the requests now in state s, oldest first, from the by_state index. Only
// pending, provisioning, active and revoking are indexed; asking for another state is an
// error rather than a silently empty answer.
func (s *Store) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !InStateIndex(st) {
		return nil, commands.Errorf(commands.CodeInvalid, "requests in state %q are not indexed", st)
	}
	var out []*commands.Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := stringPrefix(string(st))
		c := tx.Bucket(bucketByState).Cursor()
		// Ids grow with time, so id order within the prefix is creation order.
		k, _ := c.Seek(prefix)
		var err error
		out, err = walkIndex(tx, &s.requests, k, c.Next, func(k []byte) bool { return bytes.HasPrefix(k, prefix) }, 0)
		return err
	})
	return out, err
}

// ExpiringBefore returns the active, revoking and provisioning requests whose grant expires at or before
// t, soonest first (ties in id order). It walks by_expiry from its start and stops at the
// first later key, so its cost follows the number due, not the number stored.
func (s *Store) ExpiringBefore(ctx context.Context, t time.Time) ([]*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bound := timeKey(t)
	var out []*commands.Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketByExpiry).Cursor()
		k, _ := c.First()
		var err error
		out, err = walkIndex(tx, &s.requests, k, c.Next, func(k []byte) bool { return readU64(k) <= bound }, 0)
		return err
	})
	return out, err
}

// ByUser returns the requests user made, newest first, at most limit of them (0 or less:
// all). It reads user's part of by_user backwards from its end.
func (s *Store) ByUser(ctx context.Context, user string, limit int) ([]*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*commands.Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := stringPrefix(user)
		// user+0x01 sorts right after every user+0x00+id key, so the key before it is
		// user's newest request.
		end := append([]byte(user), sep+1)
		c := tx.Bucket(bucketByUser).Cursor()
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		var err error
		out, err = walkIndex(tx, &s.requests, k, c.Prev, func(k []byte) bool { return bytes.HasPrefix(k, prefix) }, limit)
		return err
	})
	return out, err
}

// walkIndex loads the requests that index keys point at, starting at k and moving with
// next (a cursor's Next or Prev) while within holds, at most limit of them (0 or less: all).
func walkIndex(tx *bbolt.Tx, cache *requestCache, k []byte, next func() ([]byte, []byte), within func(k []byte) bool, limit int) ([]*commands.Request, error) {
	var out []*commands.Request
	for ; k != nil && within(k); k, _ = next() {
		if limit > 0 && len(out) == limit {
			break
		}
		r, err := getIndexed(tx, cache, k)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// getIndexed loads the request an index key points at. A missing one means the index and
// the requests disagree, which is a damaged file, not a user's typo: say so.
func getIndexed(tx *bbolt.Tx, cache *requestCache, k []byte) (*commands.Request, error) {
	id := commands.RequestID(idOf(k))
	r, err := getRequest(tx, cache, id)
	if errors.Is(err, commands.ErrNotFound) {
		return nil, fmt.Errorf("an index entry points at %s, which does not exist: "+
			"the database file is damaged", id)
	}
	return r, err
}
