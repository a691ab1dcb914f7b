package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// auditPage is how many records one read of the audit log fetches.
const auditPage = 1000

// AuditEvents returns the audit records after sequence number afterSeq, oldest first, at
// most limit of them (0 or less: all).
func (s *Store) AuditEvents(ctx context.Context, afterSeq uint64, limit int) ([]state.AuditRecord, error) {
	var out []state.AuditRecord
	err := atOneRevision(ctx, func(ctx context.Context) error {
		out = out[:0]
		rev := s.rev
		from := s.keys.audit(afterSeq + 1)
		end := clientv3.GetPrefixRangeEnd(s.keys.prefix + dirAudit)
		for {
			want := auditPage
			if limit > 0 {
				want = min(want, limit-len(out))
			}
			if want == 0 {
				return nil
			}
			resp, err := s.client.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(int64(want)), clientv3.WithRev(rev))
			if err != nil {
				return fmt.Errorf("etcd read audit: %w", err)
			}
			rev = resp.Header.Revision
			for _, kv := range resp.Kvs {
				seq, err := lastNum(string(kv.Key))
				if err != nil {
					return fmt.Errorf("audit key %q: the etcd store is damaged", kv.Key)
				}
				rec, err := state.DecodeAudit(seq, kv.Value)
				if err != nil {
					return err
				}
				out = append(out, rec)
			}
			if !resp.More || len(resp.Kvs) == 0 {
				return nil
			}
			from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
	})
	return out, err
}

// AuditForRequest returns the audit records of request id, oldest first, from the
// audit_by_request index.
func (s *Store) AuditForRequest(ctx context.Context, id commands.RequestID) ([]state.AuditRecord, error) {
	var out []state.AuditRecord
	err := atOneRevision(ctx, func(ctx context.Context) error {
		out = out[:0]
		p := s.keys.prefix + dirAuditByRequest + num(uint64(id)) + "/"
		resp, err := s.client.Get(ctx, p, s.at(clientv3.WithPrefix(), clientv3.WithKeysOnly())...)
		if err != nil {
			return fmt.Errorf("etcd read audit index: %w", err)
		}
		for start := 0; start < len(resp.Kvs); start += readBatch {
			part := resp.Kvs[start:min(start+readBatch, len(resp.Kvs))]
			seqs := make([]uint64, len(part))
			ops := make([]clientv3.Op, len(part))
			for i, kv := range part {
				if seqs[i], err = lastNum(string(kv.Key)); err != nil {
					return fmt.Errorf("audit index key %q: the etcd store is damaged", kv.Key)
				}
				ops[i] = clientv3.OpGet(s.keys.audit(seqs[i]), clientv3.WithRev(s.revOf(resp.Header.Revision)))
			}
			got, err := s.client.Txn(ctx).Then(ops...).Commit()
			if err != nil {
				return fmt.Errorf("etcd read audit: %w", err)
			}
			for i, r := range got.Responses {
				v := rangeValue(r)
				if v == nil {
					return fmt.Errorf("audit index of %s names event %d, which does not exist: the etcd store is damaged", id, seqs[i])
				}
				rec, err := state.DecodeAudit(seqs[i], v)
				if err != nil {
					return err
				}
				out = append(out, rec)
			}
		}
		return nil
	})
	return out, err
}

// RecentAudit returns the newest n audit events, newest first. It implements
// commands.AuditReader.
func (s *Store) RecentAudit(ctx context.Context, n int) ([]commands.AuditEvent, error) {
	if n <= 0 {
		return nil, nil
	}
	resp, err := s.client.Get(ctx, s.keys.prefix+dirAudit, s.at(clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(int64(n)))...)
	if err != nil {
		return nil, fmt.Errorf("etcd read audit: %w", err)
	}
	out := make([]commands.AuditEvent, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		seq, _ := lastNum(string(kv.Key))
		rec, err := state.DecodeAudit(seq, kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, rec.AuditEvent)
	}
	return out, nil
}

// VerifyAudit recomputes the hash chain over the whole audit log, read at one revision, as
// state.Store.VerifyAudit does, keyed events with the store's audit key: 0 and nil when
// every record holds, else the first record that does not and an error matching
// state.ErrAuditBroken, state.ErrAuditKeyNeeded or state.ErrAuditWrongKey. The head is
// checked too: it counts every event ever appended, holds the newest hash and says from
// where the chain is keyed, so records cut off the end, or a keying moved, are found.
func (s *Store) VerifyAudit(ctx context.Context) (firstBroken uint64, err error) {
	err = atOneRevision(ctx, func(ctx context.Context) error {
		firstBroken = 0
		hr, err := s.client.Get(ctx, s.keys.of(keyHead), s.at()...)
		if err != nil {
			return fmt.Errorf("etcd read head: %w", err)
		}
		if len(hr.Kvs) == 0 {
			return fmt.Errorf("the etcd store has no head key")
		}
		rev := s.revOf(hr.Header.Revision)
		h, err := decodeHead(hr.Kvs[0].Value)
		if err != nil {
			return err
		}
		c := state.NewAuditChecker(s.auditKey)
		defer func() { firstBroken = c.Broken() }()
		from := s.keys.audit(1)
		end := clientv3.GetPrefixRangeEnd(s.keys.prefix + dirAudit)
		for {
			resp, err := s.client.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(auditPage), clientv3.WithRev(rev))
			if err != nil {
				return fmt.Errorf("etcd read audit: %w", err)
			}
			for _, kv := range resp.Kvs {
				seq, err := lastNum(string(kv.Key))
				if err != nil {
					return fmt.Errorf("audit key %q: the etcd store is damaged", kv.Key)
				}
				if err := c.Check(seq, kv.Value); err != nil {
					return err
				}
			}
			if !resp.More || len(resp.Kvs) == 0 {
				break
			}
			from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
		if err := c.Finish(h.Audit, h.keying()); err != nil {
			return err
		}
		if h.AuditHash != c.Tip() {
			// Finish found no event missing, so the last one checked is the newest.
			return c.Fail(c.Last(), "does not match the hash the head keeps")
		}
		return nil
	})
	if firstBroken != 0 {
		return firstBroken, err
	}
	if err != nil {
		return 0, fmt.Errorf("verify audit log: %w", err)
	}
	return 0, nil
}
