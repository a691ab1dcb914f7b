package etcdstore

import (
	"context"
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// AuditKeying says from which event the audit chain is keyed, and with which key, as the
// head records it.
func (s *Store) AuditKeying(ctx context.Context) (state.AuditKeying, error) {
	resp, err := s.client.Get(ctx, s.keys.of(keyHead), s.at()...)
	if err != nil {
		return state.AuditKeying{}, fmt.Errorf("etcd read head: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return state.AuditKeying{}, fmt.Errorf("the etcd store has no head key")
	}
	h, err := decodeHead(resp.Kvs[0].Value)
	if err != nil {
		return state.AuditKeying{}, err
	}
	return h.keying(), nil
}

// KeyAudit keys the audit chain with the store's key, as state.Store.KeyAudit does: if the
// chain is not keyed yet, it appends e as the first keyed event and records it in the head,
// in one transaction guarded by the head, so of replicas starting at once with the same
// key one keys the chain and the others find it keyed. It returns the chain's keying and
// whether e was written.
func (s *Store) KeyAudit(ctx context.Context, e commands.AuditEvent) (state.AuditKeying, bool, error) {
	if s.auditKey == nil {
		return state.AuditKeying{}, false, state.ErrNoAuditKey
	}
	var k state.AuditKeying
	err := s.writeLoop(ctx, "key_audit", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead))}, func(got []*pb.ResponseOp) (*batch, error) {
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		if k = b.head.keying(); k.Keyed() {
			if err := state.CheckAuditWriteKey(k, s.auditKey); err != nil {
				return nil, err
			}
			return nil, errUnchanged
		}
		rec, err := b.appendAudit(e)
		if err != nil {
			return nil, err
		}
		b.head.AuditKeyedFrom, b.head.AuditKeyID = rec.Seq, rec.KeyID
		k = b.head.keying()
		return b, nil
	})
	if errors.Is(err, errUnchanged) { // keyed already, with this key
		return k, false, nil
	}
	if err != nil {
		return state.AuditKeying{}, false, err
	}
	return k, true, nil
}
