package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// enqueue stores n under the next outbox id and schedules it in outbox_due for
// n.NextAttemptAt (the zero time: at once).
func enqueue(tx *bbolt.Tx, n commands.Notification) error {
	b := tx.Bucket(bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next outbox id: %w", err)
	}
	n.ID = id
	return putNotification(tx, n)
}

// putNotification writes n and its outbox_due entry.
func putNotification(tx *bbolt.Tx, n commands.Notification) error {
	v, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification %d: %w", n.ID, err)
	}
	if err := tx.Bucket(bucketOutbox).Put(u64(n.ID), v); err != nil {
		return fmt.Errorf("put notification %d: %w", n.ID, err)
	}
	if err := tx.Bucket(bucketOutboxDue).Put(timeIDKey(n.NextAttemptAt, n.ID), DueMark(n)); err != nil {
		return fmt.Errorf("schedule notification %d: %w", n.ID, err)
	}
	return nil
}

// unschedule reads notification id and removes its outbox_due entry, leaving the
// notification itself for the caller to delete or rewrite.
func unschedule(tx *bbolt.Tx, id uint64) (commands.Notification, error) {
	n, err := getNotification(tx, id)
	if err != nil {
		return n, err
	}
	if err := tx.Bucket(bucketOutboxDue).Delete(timeIDKey(n.NextAttemptAt, id)); err != nil {
		return n, fmt.Errorf("unschedule notification %d: %w", id, err)
	}
	return n, nil
}

// DueEntry is one entry of the outbox's due index, in due order: the notification's id and
// the index value (DueMark).
type DueEntry struct {
	ID   uint64
	Mark []byte
}

// DueMark is the due-index value of notification n: urgentMark for a security notice, so
// both stores can pick urgent ones first from the index alone.
func DueMark(n commands.Notification) []byte {
	if n.Urgent {
		return urgentMark
	}
	return []byte{}
}

// PickDue chooses, from due entries in due order, the ids to deliver now: the urgent ones
// first, then the rest, at most limit (0 or less: all), each group in due order.
func PickDue(due []DueEntry, limit int) []uint64 {
	var urgent, routine []uint64
	for _, e := range due {
		if bytes.Equal(e.Mark, urgentMark) {
			urgent = append(urgent, e.ID)
		} else {
			routine = append(routine, e.ID)
		}
	}
	ids := append(urgent, routine...)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}

// urgentMark is the outbox_due value of an urgent notification (a security notice); a
// routine one has an empty value, as every entry written before urgency existed has.
var urgentMark = []byte{1}

// DueNotifications returns up to limit notifications (0 or less: all) whose next attempt is
// at or before now: urgent ones first, then routine ones, each earliest first; a
// notification that was never tried is due at once. It walks outbox_due from its start and
// stops at the first later entry, so a long backlog of notifications waiting on a retry
// costs nothing; the due entries are walked by key alone, and only those returned are read.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bound := timeKey(now)
	var out []commands.Notification
	err := s.db.View(func(tx *bbolt.Tx) error {
		var due []DueEntry
		c := tx.Bucket(bucketOutboxDue).Cursor()
		for k, v := c.First(); k != nil && readU64(k) <= bound; k, v = c.Next() {
			due = append(due, DueEntry{ID: idOf(k), Mark: v})
		}
		ids := PickDue(due, limit)
		for _, id := range ids {
			n, err := getNotification(tx, id)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// CompleteNotification removes a delivered notification. An unknown id gives an error
// matching commands.ErrNotFound, which a worker may treat as already done.
func (s *Store) CompleteNotification(ctx context.Context, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(ctx, "complete_notification", func(tx *bbolt.Tx) error {
		if _, err := unschedule(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutbox).Delete(u64(id)); err != nil {
			return fmt.Errorf("delete notification %d: %w", id, err)
		}
		return nil
	})
}

// RetryNotification records a failed delivery: it counts the attempt, keeps lastErr for
// operators, and makes the notification due again at at.
func (s *Store) RetryNotification(ctx context.Context, id uint64, at time.Time, lastErr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(ctx, "retry_notification", func(tx *bbolt.Tx) error {
		n, err := unschedule(tx, id)
		if err != nil {
			return err
		}
		n.Attempts++
		n.NextAttemptAt = at
		n.LastError = lastErr
		return putNotification(tx, n)
	})
}

// OutboxDepth returns how many notifications wait for delivery, for a metric. It counts the
// outbox's keys, which a working outbox keeps few.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n, err
}

// getNotification reads and decodes notification id.
func getNotification(tx *bbolt.Tx, id uint64) (commands.Notification, error) {
	var n commands.Notification
	v := tx.Bucket(bucketOutbox).Get(u64(id))
	if v == nil {
		return n, commands.Errorf(commands.CodeNotFound, "There is no notification %d in the outbox.", id)
	}
	if err := json.Unmarshal(v, &n); err != nil {
		return n, fmt.Errorf("decode notification %d: %w", id, err)
	}
	return n, nil
}
