package state

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// Store remembers what must outlive a restart for a while.
var (
	_ commands.Memos    = (*Store)(nil)
	_ commands.OwnMemos = (*Store)(nil)
)

// memoSweepEvery is how often, by the callers' clock, a Remember that writes also deletes
// every memo whose time has passed: the bucket holds what the last few minutes remembered
// (and the rare reports), so a scan of it is cheap.
const memoSweepEvery = time.Minute

// Remember records key until until and reports whether it was new: false when the memos
// bucket holds it with an until after now. A memo already held is answered by a read
// transaction; a new one is written through the store's group commit, so that a burst of
// Slack requests shares commits and fsyncs. The write is no use case's: the write fault is
// not asked. It implements commands.Memos.
func (s *Store) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	k := []byte(key)
	held := func(tx *bbolt.Tx) bool {
		v := tx.Bucket(bucketMemos).Get(k)
		return len(v) == 8 && readU64(v) > timeKey(now)
	}
	var seen bool
	if err := s.db.View(func(tx *bbolt.Tx) error { seen = held(tx); return nil }); err != nil {
		return false, fmt.Errorf("read memo: %w", err)
	}
	if seen {
		return false, nil
	}
	var first bool
	err := s.writes.update(ctx, func(tx *bbolt.Tx) error {
		// The group commit may run this again if another write of its transaction fails.
		first = !held(tx)
		if !first {
			return errNothingWritten // remembered meanwhile: first is the answer, no sync needed
		}
		b := tx.Bucket(bucketMemos)
		if err := s.sweepMemos(b, now); err != nil {
			return err
		}
		return b.Put(k, u64(timeKey(until)))
	})
	if err != nil {
		return false, fmt.Errorf("remember: %w", err)
	}
	return first, nil
}

// ForgetOwn deletes key's memo if it is the one remembered until until. It implements
// commands.OwnMemos.
func (s *Store) ForgetOwn(ctx context.Context, key string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.writes.update(ctx, func(tx *bbolt.Tx) error {
		b, k := tx.Bucket(bucketMemos), []byte(key)
		if v := b.Get(k); len(v) != 8 || readU64(v) != timeKey(until) {
			return errNothingWritten // gone, or another's now: spare a sync
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	return nil
}

// Forget deletes key's memo. It implements commands.Memos.
func (s *Store) Forget(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.writes.update(ctx, func(tx *bbolt.Tx) error {
		b, k := tx.Bucket(bucketMemos), []byte(key)
		if b.Get(k) == nil {
			return errNothingWritten // nothing to delete: spare a sync
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	return nil
}

// sweepMemos deletes the memos whose until has passed at now, at most once per
// memoSweepEvery.
func (s *Store) sweepMemos(b *bbolt.Bucket, now time.Time) error {
	last := s.memoSwept.Load()
	if now.UnixNano()-last < int64(memoSweepEvery) {
		return nil
	}
	s.memoSwept.Store(now.UnixNano())
	var expired [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if len(v) != 8 || readU64(v) <= timeKey(now) {
			expired = append(expired, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("sweep memos: %w", err)
		}
	}
	return nil
}

// addMemos creates the memos bucket (schema version 5): key → until, 8-byte Unix nanos.
func addMemos(tx *bbolt.Tx, _ *options) error {
	if _, err := tx.CreateBucketIfNotExists(bucketMemos); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMemos, err)
	}
	return nil
}
