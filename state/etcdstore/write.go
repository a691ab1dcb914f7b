package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// batch is one write transaction being built: the guards it commits under and the
// operations it runs. Everything one transition writes goes into one batch, so etcd
// applies all of it or none.
type batch struct {
	keys keys
	cmps []clientv3.Cmp
	ops  []clientv3.Op
	// head is the head as read, advanced by what the batch allocates; headRev is the
	// ModRevision it was read at, and headUsed says the batch allocated from it.
	head     head
	headRev  int64
	headUsed bool
	// auditKey chains the audit events the batch appends; nil: unkeyed.
	auditKey *state.AuditKey
}

// put writes key. etcd refuses a transaction that names a key twice, so a delete of the
// same key earlier in the batch (a notification rescheduled to the time it had) is dropped:
// the put replaces it.
func (b *batch) put(key string, v []byte) {
	b.ops = slices.DeleteFunc(b.ops, func(op clientv3.Op) bool { return op.IsDelete() && string(op.KeyBytes()) == key })
	b.ops = append(b.ops, clientv3.OpPut(key, string(v)))
}

func (b *batch) del(key string) { b.ops = append(b.ops, clientv3.OpDelete(key)) }

// guard adds the compare-and-set on key's ModRevision.
func (b *batch) guard(key string, modRev int64) {
	b.cmps = append(b.cmps, clientv3.Compare(clientv3.ModRevision(key), "=", modRev))
}

// indexKeys lists every index key r should have, by the same rules as the bbolt store.
func (k keys) indexKeys(r *commands.Request) []string {
	if r == nil {
		return nil
	}
	out := []string{k.byUser(r.Requester, r.ID)}
	if state.InStateIndex(r.State) {
		out = append(out, k.byState(r.State, r.ID))
	}
	if state.InExpiryIndex(r) {
		out = append(out, k.byExpiry(r.Grant.ExpiresAt, r.ID))
	}
	if r.State == commands.StatePending {
		out = append(out, k.pendingByUser(r.Requester, r.ID))
	}
	if fp := commands.LiveFingerprint(r); fp != "" {
		// Every replica follows these (FollowFingerprints): written in the same
		// transaction as the grant, before the token is shown.
		out = append(out, k.fingerprint(fp, r.ID))
	}
	return out
}

// putRequest writes r and moves its index keys from old's (nil for a new request).
func (b *batch) putRequest(old, r *commands.Request) error {
	v, err := state.EncodeRequest(r)
	if err != nil {
		return err
	}
	b.put(b.keys.request(r.ID), v)
	before, after := b.keys.indexKeys(old), b.keys.indexKeys(r)
	for _, k := range before {
		if !contains(after, k) {
			b.del(k)
		}
	}
	for _, k := range after {
		if !contains(before, k) {
			b.put(k, nil)
		}
	}
	return nil
}

func contains(keys []string, k string) bool {
	for _, o := range keys {
		if o == k {
			return true
		}
	}
	return false
}

// writeChange appends c's audit events to the chain and queues its notifications,
// filling in id where they name no request, and allocating from the head.
func (b *batch) writeChange(id commands.RequestID, c commands.Change) error {
	if len(c.Audit) > 0 {
		// Another replica may run with another key, or none: the head read for this
		// write says how the chain is keyed, and the write must match it.
		if err := state.CheckAuditWriteKey(b.head.keying(), b.auditKey); err != nil {
			return err
		}
	}
	for _, e := range c.Audit {
		if e.Request == 0 {
			e.Request = id
		}
		if _, err := b.appendAudit(e); err != nil {
			return err
		}
	}
	for _, n := range c.Outbox {
		if n.Request == 0 {
			n.Request = id
		}
		n.ID = b.head.Notifications + 1
		if err := b.putNotification(n); err != nil {
			return err
		}
		b.head.Notifications = n.ID
		b.headUsed = true
	}
	return nil
}

// appendAudit chains e to the head's tip under the batch's key and writes it, with its
// audit_by_request key when it names a request.
func (b *batch) appendAudit(e commands.AuditEvent) (state.AuditRecord, error) {
	seq := b.head.Audit + 1
	rec, v, err := state.ChainAudit(b.auditKey, b.head.AuditHash, seq, e)
	if err != nil {
		return rec, err
	}
	b.put(b.keys.audit(seq), v)
	if rec.Request != 0 {
		b.put(b.keys.auditByRequest(rec.Request, seq), nil)
	}
	b.head.Audit, b.head.AuditHash = seq, rec.Hash
	b.headUsed = true
	return rec, nil
}

// putNotification writes n and its outbox_due key.
func (b *batch) putNotification(n commands.Notification) error {
	v, err := state.EncodeNotification(n)
	if err != nil {
		return err
	}
	b.put(b.keys.outbox(n.ID), v)
	b.put(b.keys.outboxDue(n.NextAttemptAt, n.ID), state.DueMark(n))
	return nil
}

// finish adds the head's new value and its guard when the batch allocated from it.
func (b *batch) finish() error {
	if !b.headUsed {
		return nil
	}
	v, err := encodeHead(b.head)
	if err != nil {
		return err
	}
	b.guard(b.keys.of(keyHead), b.headRev)
	b.put(b.keys.of(keyHead), v)
	return nil
}

// errUnchanged ends a writeLoop whose build finds nothing to write.
var errUnchanged = errors.New("nothing to change")

// writeLoop reads with reads (for the write op, which a write fault may refuse), lets build
// turn what it read into a batch, and commits the batch under its guards. When a guard
// fails, another writer got there first: the transaction's Else branch has already re-read
// the same keys, so build runs again on the fresh values, which is how a use case's check
// of the current state stays a compare-and-set. An error from build is returned as it is
// and nothing is written (errUnchanged: build found nothing to write).
func (s *Store) writeLoop(ctx context.Context, op string, reads []clientv3.Op, build func(got []*pb.ResponseOp) (*batch, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.rev != 0 {
		return fmt.Errorf("the etcd store is a read-only view at revision %d", s.rev)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	resp, err := s.client.Txn(ctx).Then(reads...).Commit()
	if err != nil {
		return fmt.Errorf("etcd read: %w", err)
	}
	got := resp.Responses
	for attempt := 1; ; attempt++ {
		if attempt > maxAttempts {
			return fmt.Errorf("etcd write: still conflicting after %d attempts", maxAttempts)
		}
		b, err := build(got)
		if err != nil {
			return err
		}
		if err := b.finish(); err != nil {
			return err
		}
		if len(b.ops) > s.maxTxnOps || len(b.cmps) > s.maxTxnOps {
			return fmt.Errorf("one change needs %d etcd operations, more than the server's max-txn-ops (%d): "+
				"raise --max-txn-ops on the etcd servers and CAKEGATE_ETCD_MAX_TXN_OPS", len(b.ops), s.maxTxnOps)
		}
		if s.writeFault != nil && attempt == 1 {
			// Between the read and the commit: another replica may write here, which
			// the guards must catch.
			if err := s.writeFault(op); err != nil {
				return fmt.Errorf("write %s: %w", op, err)
			}
		}
		resp, err := s.client.Txn(ctx).If(b.cmps...).Then(b.ops...).Else(reads...).Commit()
		if err != nil {
			// The outcome is unknown: the write may have been applied. The use cases
			// handle that as they handle a crash: reconcile finishes or undoes it.
			return fmt.Errorf("etcd write: %w", err)
		}
		if resp.Succeeded {
			return nil
		}
		got = resp.Responses
	}
}

// maxAttempts bounds writeLoop's retries. Each retry means another writer committed, so
// reaching it takes a storm of writers, or a guard that can never hold (a damaged store).
const maxAttempts = 1000

// newBatch starts a batch from the head a read found.
func (s *Store) newBatch(headResp *pb.ResponseOp) (*batch, error) {
	h, rev, err := readHead(headResp)
	if err != nil {
		return nil, err
	}
	return &batch{keys: s.keys, head: h, headRev: rev, auditKey: s.auditKey}, nil
}
