package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// Stats counts the live requests from the state index and reads the head, in one
// transaction, so the numbers are of one moment.
func (s *Store) Stats(ctx context.Context) (state.Stats, error) {
	var ops []clientv3.Op
	var counted []commands.State
	for _, st := range state.IndexedStates() {
		counted = append(counted, st)
		ops = append(ops, clientv3.OpGet(s.keys.byStatePrefix(st), s.at(clientv3.WithPrefix(), clientv3.WithCountOnly())...))
	}
	ops = append(ops,
		clientv3.OpGet(s.keys.prefix+dirOutbox, s.at(clientv3.WithPrefix(), clientv3.WithCountOnly())...),
		clientv3.OpGet(s.keys.of(keyHead), s.at()...))
	resp, err := s.client.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return state.Stats{}, fmt.Errorf("etcd stats: %w", err)
	}
	st := state.Stats{Live: make(map[commands.State]int, len(counted))}
	for i, s := range counted {
		st.Live[s] = int(resp.Responses[i].GetResponseRange().Count)
	}
	st.Outbox = int(resp.Responses[len(counted)].GetResponseRange().Count)
	h, _, err := readHead(resp.Responses[len(counted)+1])
	if err != nil {
		return st, err
	}
	st.Requests, st.AuditEvents = h.Requests, h.Audit
	return st, nil
}
