package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
)

// Store remembers what every replica must share for a while.
var (
	_ commands.Memos    = (*Store)(nil)
	_ commands.OwnMemos = (*Store)(nil)
)

// memoLeases are the leases memos are put under, one per span of ends (memoSpan), so that
// a burst of Slack requests grants a lease a minute, not one each. A lease ends a little
// after the last until of its span: etcd deletes the memo by itself then, and Remember
// treats a memo whose until has passed by the caller's clock as absent before that.
type memoLeases struct {
	mu     sync.Mutex
	byEnd  map[int64]*memoLease // the span's end, Unix seconds → lease
	lastAt time.Time            // the now of the last prune
}

// memoLease is a span's lease, or the grant of it under way: the Remembers of a burst that
// arrive while it is granted wait for it rather than each granting one.
type memoLease struct {
	done chan struct{} // closed once id or err is set
	id   clientv3.LeaseID
	err  error
}

// memoSpan groups the ends of memos that share a lease: a minute for a replay record, an
// hour for what is kept for days.
func memoSpan(ttl time.Duration) time.Duration {
	if ttl > time.Hour {
		return time.Hour
	}
	return time.Minute
}

// memoGrace keeps a memo's lease beyond its until: etcd's clock and the caller's may
// differ a little, and an early delete would let a replay through.
const memoGrace = time.Minute

// Remember records key until until and reports whether it is new. It is one transaction
// ("put if absent") in the common case, and a second one only when key is held by a memo
// whose until has passed by now but that etcd has not deleted yet. It implements
// commands.Memos.
func (s *Store) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	k := s.keys.memo(key)
	v := num(timeNum(until))
	for attempt := 0; attempt < 3; attempt++ {
		lease, err := s.memoLease(ctx, now, until)
		if err != nil {
			return false, err
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
			Then(clientv3.OpPut(k, v, clientv3.WithLease(lease))).
			Else(clientv3.OpGet(k)).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			s.forgetMemoLease(lease) // expired or revoked behind this process's back
			continue
		}
		if err != nil {
			return false, fmt.Errorf("etcd remember %s: %w", key, err)
		}
		if resp.Succeeded {
			return true, nil
		}
		kvs := resp.Responses[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			continue // deleted in between: try again
		}
		held, err := parseNum(string(kvs[0].Value))
		if err == nil && held > timeNum(now) {
			return false, nil
		}
		// Its time has passed: take it over, unless another replica just did.
		resp, err = s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(k), "=", kvs[0].ModRevision)).
			Then(clientv3.OpPut(k, v, clientv3.WithLease(lease))).
			Commit()
		if err != nil {
			return false, fmt.Errorf("etcd remember %s: %w", key, err)
		}
		return resp.Succeeded, nil
	}
	return false, fmt.Errorf("etcd remember %s: its memo kept changing under this replica", key)
}

// ForgetOwn deletes key's memo if it is the one remembered until until, in one
// transaction. It implements commands.OwnMemos.
func (s *Store) ForgetOwn(ctx context.Context, key string, until time.Time) error {
	k := s.keys.memo(key)
	_, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(k), "=", num(timeNum(until)))).
		Then(clientv3.OpDelete(k)).
		Commit()
	if err != nil {
		return fmt.Errorf("etcd forget %s: %w", key, err)
	}
	return nil
}

// Forget deletes key's memo. It implements commands.Memos.
func (s *Store) Forget(ctx context.Context, key string) error {
	if _, err := s.client.Delete(ctx, s.keys.memo(key)); err != nil {
		return fmt.Errorf("etcd forget %s: %w", key, err)
	}
	return nil
}

// memoLease returns the lease for memos that end at until: the one of its span, granted
// now if this process has none, to end memoGrace after the span does. One grant runs per
// span at a time; the callers that arrive meanwhile wait for it.
func (s *Store) memoLease(ctx context.Context, now, until time.Time) (clientv3.LeaseID, error) {
	span := memoSpan(until.Sub(now))
	end := until.Truncate(span).Add(span)
	l := &s.memoLeases
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		if l.byEnd == nil {
			l.byEnd = map[int64]*memoLease{}
		}
		if now.Sub(l.lastAt) > time.Minute {
			for e := range l.byEnd {
				if time.Unix(e, 0).Before(now) {
					delete(l.byEnd, e)
				}
			}
			l.lastAt = now
		}
		got, ok := l.byEnd[end.Unix()]
		if !ok {
			got = &memoLease{done: make(chan struct{})}
			l.byEnd[end.Unix()] = got
		}
		l.mu.Unlock()
		if !ok {
			return s.grantMemoLease(ctx, got, end, now)
		}
		select {
		case <-got.done:
		case <-ctx.Done():
			return 0, fmt.Errorf("etcd wait for a lease for memos: %w", ctx.Err())
		}
		if got.err == nil {
			return got.id, nil
		}
		// The grant failed, perhaps only for its caller's context: try once more, as the
		// one to grant if nobody else is. A second failure is this caller's answer.
		if attempt > 0 {
			return 0, got.err
		}
	}
}

// grantMemoLease grants the lease of the span that ends at end into pending, which
// memoLease has put in the cache. A failed grant leaves the cache, so that the next caller
// grants again.
func (s *Store) grantMemoLease(ctx context.Context, pending *memoLease, end, now time.Time) (clientv3.LeaseID, error) {
	ttl := int64(end.Add(memoGrace).Sub(now)/time.Second) + 1
	resp, err := s.client.Grant(ctx, ttl)
	l := &s.memoLeases
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		pending.err = fmt.Errorf("etcd grant a lease for memos: %w", err)
		if l.byEnd[end.Unix()] == pending {
			delete(l.byEnd, end.Unix())
		}
	} else {
		pending.id = resp.ID
	}
	close(pending.done)
	return pending.id, pending.err
}

// forgetMemoLease drops a lease etcd no longer has.
func (s *Store) forgetMemoLease(id clientv3.LeaseID) {
	l := &s.memoLeases
	l.mu.Lock()
	defer l.mu.Unlock()
	for e, got := range l.byEnd {
		if got.id == id {
			delete(l.byEnd, e)
		}
	}
}
