package etcdstore

import (
	"context"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// dirReviews holds access reviews: reviews/<id> → JSON commands.Review (state.EncodeReview).
// A store from before reviews has none, and needs no new schema version.
const dirReviews = "reviews/"

func (k keys) review(id string) string { return k.prefix + dirReviews + id }

// CreateReview stores a new review with c in one transaction. It implements
// commands.ReviewStore.
func (s *Store) CreateReview(ctx context.Context, rv *commands.Review, c commands.Change) error {
	if rv.ID == "" {
		return fmt.Errorf("create review: no id")
	}
	v, err := state.EncodeReview(rv)
	if err != nil {
		return err
	}
	key := s.keys.review(rv.ID)
	return s.writeLoop(ctx, "record", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead)), clientv3.OpGet(key)}, func(got []*pb.ResponseOp) (*batch, error) {
		if len(got[1].GetResponseRange().GetKvs()) > 0 {
			return nil, fmt.Errorf("create review %s: it exists already", rv.ID)
		}
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
		b.put(key, v)
		return b, b.writeChange(0, c)
	})
}

// UpdateReview changes review id with fn and writes fn's change, in one transaction; fn
// runs again on the fresh review when another replica wrote first.
func (s *Store) UpdateReview(ctx context.Context, id string, fn func(rv *commands.Review) (commands.Change, error)) (*commands.Review, error) {
	key := s.keys.review(id)
	var out *commands.Review
	err := s.writeLoop(ctx, "record", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead)), clientv3.OpGet(key)}, func(got []*pb.ResponseOp) (*batch, error) {
		kvs := got[1].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			return nil, fmt.Errorf("review %s: %w", id, commands.ErrReviewNotFound)
		}
		rv, err := state.DecodeReview(id, kvs[0].Value)
		if err != nil {
			return nil, err
		}
		c, err := fn(rv)
		if err != nil {
			return nil, err
		}
		rv.ID = id
		v, err := state.EncodeReview(rv)
		if err != nil {
			return nil, err
		}
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		b.guard(key, kvs[0].ModRevision)
		b.put(key, v)
		out = rv
		return b, b.writeChange(0, c)
	})
	return out, err
}

// GetReview returns review id.
func (s *Store) GetReview(ctx context.Context, id string) (*commands.Review, error) {
	resp, err := s.client.Get(ctx, s.keys.review(id), s.at()...)
	if err != nil {
		return nil, fmt.Errorf("etcd get review: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("review %s: %w", id, commands.ErrReviewNotFound)
	}
	return state.DecodeReview(id, resp.Kvs[0].Value)
}

// LatestReviews returns the n newest reviews, newest first.
func (s *Store) LatestReviews(ctx context.Context, n int) ([]*commands.Review, error) {
	if n <= 0 {
		return nil, nil
	}
	opts := append([]clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(int64(n))}, s.at()...)
	resp, err := s.client.Get(ctx, s.keys.review(""), opts...)
	if err != nil {
		return nil, fmt.Errorf("etcd list reviews: %w", err)
	}
	out := make([]*commands.Review, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		id := string(kv.Key[len(s.keys.review("")):])
		rv, err := state.DecodeReview(id, kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	return out, nil
}
