package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// readBatch is how many keys one transaction fetches when loading what an index names:
// within etcd's default max-txn-ops.
const readBatch = 100

// consistentReads is how often a read across several requests starts again when etcd
// compacted away the revision it was reading at.
const consistentReads = 3

// atOneRevision runs read, which reads everything at the revision it is given (0: the
// newest, which read then pins), again from the start if etcd compacted that revision
// away midway: a multi-key answer is never stitched from two points in time.
func atOneRevision(ctx context.Context, read func(ctx context.Context) error) error {
	var err error
	for range consistentReads {
		err = read(ctx)
		if !errors.Is(err, rpctypes.ErrCompacted) {
			return err
		}
	}
	return err
}

// indexed reads the index keys in [from, to) (sorted as opts say, at most limit; 0: all),
// then the requests they name at the same revision.
func (s *Store) indexed(ctx context.Context, from, to string, limit int, opts ...clientv3.OpOption) ([]*commands.Request, error) {
	var out []*commands.Request
	err := atOneRevision(ctx, func(ctx context.Context) error {
		opts := s.at(append([]clientv3.OpOption{clientv3.WithRange(to), clientv3.WithKeysOnly(), clientv3.WithLimit(int64(max(limit, 0)))}, opts...)...)
		resp, err := s.client.Get(ctx, from, opts...)
		if err != nil {
			return fmt.Errorf("etcd read index: %w", err)
		}
		ids := make([]commands.RequestID, len(resp.Kvs))
		for i, kv := range resp.Kvs {
			n, err := lastNum(string(kv.Key))
			if err != nil {
				return fmt.Errorf("index key %q does not end in an id: the etcd store is damaged", kv.Key)
			}
			ids[i] = commands.RequestID(n)
		}
		out, err = s.requestsAt(ctx, s.revOf(resp.Header.Revision), ids)
		return err
	})
	return out, err
}

// requestsAt loads requests ids as they were at revision rev, in the order given. A missing
// one means an index and the requests disagree, which is damage, not a user's typo.
func (s *Store) requestsAt(ctx context.Context, rev int64, ids []commands.RequestID) ([]*commands.Request, error) {
	out := make([]*commands.Request, 0, len(ids))
	for start := 0; start < len(ids); start += readBatch {
		part := ids[start:min(start+readBatch, len(ids))]
		ops := make([]clientv3.Op, len(part))
		for i, id := range part {
			ops[i] = clientv3.OpGet(s.keys.request(id), clientv3.WithRev(rev))
		}
		resp, err := s.client.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("etcd read requests: %w", err)
		}
		for i, r := range resp.Responses {
			v := rangeValue(r)
			if v == nil {
				return nil, fmt.Errorf("an index entry points at %s, which does not exist: the etcd store is damaged", part[i])
			}
			req, err := state.DecodeRequest(part[i], v)
			if err != nil {
				return nil, err
			}
			out = append(out, req)
		}
	}
	return out, nil
}

// InState returns the requests now in state st, oldest first. Only the states a request
// can leave are indexed; asking for another is an error, as with the bbolt store.
func (s *Store) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if !state.InStateIndex(st) {
		return nil, commands.Errorf(commands.CodeInvalid, "requests in state %q are not indexed", st)
	}
	p := s.keys.byStatePrefix(st)
	return s.indexed(ctx, p, clientv3.GetPrefixRangeEnd(p), 0)
}

// ExpiringBefore returns the requests whose grant must end at or before t, soonest first
// (ties in id order), from the expiry index.
func (s *Store) ExpiringBefore(ctx context.Context, t time.Time) ([]*commands.Request, error) {
	// Every key of a time at or before t sorts before the first key of the next nanosecond.
	end := s.keys.prefix + dirByExpiry + num(timeNum(t)+1)
	return s.indexed(ctx, s.keys.prefix+dirByExpiry, end, 0)
}

// ByUser returns the requests user made, newest first, at most limit (0 or less: all).
func (s *Store) ByUser(ctx context.Context, user string, limit int) ([]*commands.Request, error) {
	from := s.keys.prefix + dirByUser + user + userSep
	to := s.keys.prefix + dirByUser + user + "\x01"
	return s.indexed(ctx, from, to, limit, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
}
