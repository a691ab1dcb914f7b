package etcdstore

import (
	"context"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// DueNotifications returns up to limit notifications (0 or less: all) whose next attempt is
// at or before now, urgent ones first, then earliest first (state.PickDue), read from
// outbox_due with the notifications at one revision.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error) {
	var out []commands.Notification
	err := atOneRevision(ctx, func(ctx context.Context) error {
		from := s.keys.prefix + dirOutboxDue
		// The whole due range (its values are one byte each), so urgent notices past the
		// first limit are found, as the bbolt store finds them.
		resp, err := s.client.Get(ctx, from, s.at(clientv3.WithRange(from+num(timeNum(now)+1)))...)
		if err != nil {
			return fmt.Errorf("etcd read outbox: %w", err)
		}
		due := make([]state.DueEntry, len(resp.Kvs))
		for i, kv := range resp.Kvs {
			id, err := lastNum(string(kv.Key))
			if err != nil {
				return fmt.Errorf("outbox key %q does not end in an id: the etcd store is damaged", kv.Key)
			}
			due[i] = state.DueEntry{ID: id, Mark: kv.Value}
		}
		picked := state.PickDue(due, limit)
		out = out[:0]
		for start := 0; start < len(picked); start += readBatch {
			ids := picked[start:min(start+readBatch, len(picked))]
			ops := make([]clientv3.Op, len(ids))
			for i, id := range ids {
				ops[i] = clientv3.OpGet(s.keys.outbox(id), clientv3.WithRev(s.revOf(resp.Header.Revision)))
			}
			got, err := s.client.Txn(ctx).Then(ops...).Commit()
			if err != nil {
				return fmt.Errorf("etcd read outbox: %w", err)
			}
			for i, r := range got.Responses {
				v := rangeValue(r)
				if v == nil {
					return fmt.Errorf("outbox_due names notification %d, which does not exist: the etcd store is damaged", ids[i])
				}
				n, err := state.DecodeNotification(ids[i], v)
				if err != nil {
					return err
				}
				out = append(out, n)
			}
		}
		return nil
	})
	return out, err
}

// notificationOp rewrites notification id under a compare-and-set on its ModRevision:
// change gets it as stored and returns the operations to run instead of it.
func (s *Store) notificationOp(ctx context.Context, op string, id uint64, change func(b *batch, n commands.Notification) error) error {
	key := s.keys.outbox(id)
	return s.writeLoop(ctx, op, []clientv3.Op{clientv3.OpGet(key)}, func(got []*pb.ResponseOp) (*batch, error) {
		kvs := got[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			return nil, commands.Errorf(commands.CodeNotFound, "There is no notification %d in the outbox.", id)
		}
		n, err := state.DecodeNotification(id, kvs[0].Value)
		if err != nil {
			return nil, err
		}
		b := &batch{keys: s.keys}
		b.guard(key, kvs[0].ModRevision)
		b.del(s.keys.outboxDue(n.NextAttemptAt, id))
		return b, change(b, n)
	})
}

// CompleteNotification removes a delivered notification, and the claim on it. An unknown
// id gives an error matching commands.ErrNotFound, which a worker may treat as done.
func (s *Store) CompleteNotification(ctx context.Context, id uint64) error {
	return s.notificationOp(ctx, "complete_notification", id, func(b *batch, n commands.Notification) error {
		b.del(s.keys.outbox(id))
		b.del(s.keys.outboxClaim(id))
		return nil
	})
}

// RetryNotification records a failed delivery: it counts the attempt, keeps lastErr for
// operators, makes the notification due again at at, and releases the claim on it.
func (s *Store) RetryNotification(ctx context.Context, id uint64, at time.Time, lastErr string) error {
	return s.notificationOp(ctx, "retry_notification", id, func(b *batch, n commands.Notification) error {
		n.Attempts++
		n.NextAttemptAt = at
		n.LastError = lastErr
		b.del(s.keys.outboxClaim(id))
		return b.putNotification(n)
	})
}

// OutboxDepth returns how many notifications wait for delivery, for a metric.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	resp, err := s.client.Get(ctx, s.keys.prefix+dirOutbox, s.at(clientv3.WithPrefix(), clientv3.WithCountOnly())...)
	if err != nil {
		return 0, fmt.Errorf("etcd count outbox: %w", err)
	}
	return int(resp.Count), nil
}
