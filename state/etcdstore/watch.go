package etcdstore

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ExpiryChanges signals whenever any replica records a grant's end (a new or moved key in
// the expiry index), until ctx ends; then the channel is closed. The leader's alarm, which
// sleeps until the earliest end, wakes on it to look again: a grant provisioned on another
// replica must end on time too. Signals coalesce: one pending signal stands for any number
// of changes.
func (s *Store) ExpiryChanges(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithFilterDelete()}
	// Watching from the revision read now, not from whenever the server sets the watch
	// up, loses no change made after ExpiryChanges returns.
	if resp, err := s.client.Get(ctx, s.keys.of(keyHead)); err == nil {
		opts = append(opts, clientv3.WithRev(resp.Header.Revision+1))
	}
	watch := s.client.Watch(clientv3.WithRequireLeader(ctx), s.keys.prefix+dirByExpiry, opts...)
	go func() {
		defer close(out)
		for range watch {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}
