package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// RecordDeactivation records that user was deactivated at, with c, in one transaction. One
// recorded already keeps its time, and nothing is written. It implements
// commands.Deactivations.
func (s *Store) RecordDeactivation(ctx context.Context, user string, at time.Time, c commands.Change) error {
	v, err := state.EncodeDeactivation(state.Deactivation{At: at})
	if err != nil {
		return err
	}
	key := s.keys.deactivated(user)
	err = s.writeLoop(ctx, "record", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead)), clientv3.OpGet(key)}, func(got []*pb.ResponseOp) (*batch, error) {
		if len(got[1].GetResponseRange().GetKvs()) > 0 {
			return nil, errUnchanged
		}
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
		b.put(key, v)
		return b, b.writeChange(0, c)
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// ClearDeactivation forgets user's deactivation, with c, in one transaction; with none
// recorded it writes nothing.
func (s *Store) ClearDeactivation(ctx context.Context, user string, c commands.Change) error {
	key := s.keys.deactivated(user)
	err := s.writeLoop(ctx, "record", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead)), clientv3.OpGet(key)}, func(got []*pb.ResponseOp) (*batch, error) {
		kvs := got[1].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			return nil, errUnchanged
		}
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		b.guard(key, kvs[0].ModRevision)
		b.del(key)
		return b, b.writeChange(0, c)
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// DeactivatedAt says whether, and since when, user is recorded as deactivated.
func (s *Store) DeactivatedAt(ctx context.Context, user string) (time.Time, bool, error) {
	resp, err := s.client.Get(ctx, s.keys.deactivated(user), s.at()...)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("etcd get deactivation: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return time.Time{}, false, nil
	}
	d, err := state.DecodeDeactivation(user, resp.Kvs[0].Value)
	return d.At, true, err
}
