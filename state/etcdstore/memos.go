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
var _ commands.Memos = (*Store)(nil)

// memoLeases are the leases memos are put under, one per span of ends (memoSpan), so that
// a burst of Slack requests grants a lease a minute, not one each. A lease ends a little
// after the last until of its span: etcd deletes the memo by itself then, and Remember
// treats a memo whose until has passed by the caller's clock as absent before that.
type memoLeases struct {
	mu     sync.Mutex
	byEnd  map[int64]clientv3.LeaseID // the span's end, Unix seconds → lease
	lastAt time.Time                  // the now of the last prune
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

// Forget deletes key's memo. It implements commands.Memos.
func (s *Store) Forget(ctx context.Context, key string) error {
	if _, err := s.client.Delete(ctx, s.keys.memo(key)); err != nil {
		return fmt.Errorf("etcd forget %s: %w", key, err)
	}
	return nil
}

// memoLease returns the lease for memos that end at until: the one of its span, granted
// now if this process has none, to end memoGrace after the span does.
func (s *Store) memoLease(ctx context.Context, now, until time.Time) (clientv3.LeaseID, error) {
	span := memoSpan(until.Sub(now))
	end := until.Truncate(span).Add(span)
	l := &s.memoLeases
	l.mu.Lock()
	if l.byEnd == nil {
		l.byEnd = map[int64]clientv3.LeaseID{}
	}
	if now.Sub(l.lastAt) > time.Minute {
		for e := range l.byEnd {
			if time.Unix(e, 0).Before(now) {
				delete(l.byEnd, e)
			}
		}
		l.lastAt = now
	}
	id, ok := l.byEnd[end.Unix()]
	l.mu.Unlock()
	if ok {
		return id, nil
	}
	ttl := int64(end.Add(memoGrace).Sub(now)/time.Second) + 1
	resp, err := s.client.Grant(ctx, ttl)
	if err != nil {
		return 0, fmt.Errorf("etcd grant a lease for memos: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if other, ok := l.byEnd[end.Unix()]; ok {
		// Another goroutine granted one meanwhile: use it; this one expires unused.
		return other, nil
	}
	l.byEnd[end.Unix()] = resp.ID
	return resp.ID, nil
}

// forgetMemoLease drops a lease etcd no longer has.
func (s *Store) forgetMemoLease(id clientv3.LeaseID) {
	l := &s.memoLeases
	l.mu.Lock()
	defer l.mu.Unlock()
	for e, got := range l.byEnd {
		if got == id {
			delete(l.byEnd, e)
		}
	}
}
