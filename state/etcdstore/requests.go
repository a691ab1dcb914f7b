package etcdstore

import (
	"context"
	"fmt"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// Store must satisfy the interfaces the use cases are written against.
var (
	_ commands.Store       = (*Store)(nil)
	_ commands.Journal     = (*Store)(nil)
	_ commands.AuditReader = (*Store)(nil)
)

// Create stores a new request under the next id (setting r.ID) and writes c's audit events
// and notifications in the same transaction. Events and notifications whose Request is
// zero are given the new id. r itself is not kept. The same transaction refuses what
// commands.RequestStore.Create says it must: it commits only if the requester's
// deactivation record, delivery key and pending requests are as it read them.
func (s *Store) Create(ctx context.Context, r *commands.Request, c commands.Change, rules commands.CreateRules) error {
	if strings.Contains(r.Requester, userSep) {
		// The NUL byte ends the user part of a by_user key.
		return commands.Errorf(commands.CodeInvalid, "requester %q contains a NUL byte", r.Requester)
	}
	pending := s.keys.pendingOf(r.Requester)
	reads := []clientv3.Op{
		clientv3.OpGet(s.keys.of(keyHead)),
		clientv3.OpGet(s.keys.deactivated(r.Requester)),
		clientv3.OpGet(pending, clientv3.WithPrefix(), clientv3.WithCountOnly()),
	}
	if r.Key != "" {
		reads = append(reads, clientv3.OpGet(s.keys.deliveryKey(r.Requester, r.Key)))
	}
	var id commands.RequestID
	err := s.writeLoop(ctx, "create", reads, func(got []*pb.ResponseOp) (*batch, error) {
		if len(got[1].GetResponseRange().GetKvs()) > 0 {
			return nil, commands.ErrDeactivated
		}
		if len(got) > 3 {
			if kvs := got[3].GetResponseRange().GetKvs(); len(kvs) > 0 {
				n, err := parseNum(string(kvs[0].Value))
				if err != nil {
					return nil, fmt.Errorf("delivery key of %s: %w", r.Requester, err)
				}
				return nil, &commands.SameDeliveryError{ID: commands.RequestID(n)}
			}
		}
		open := got[2].GetResponseRange()
		if n := int(open.GetCount()); rules.MaxPending > 0 && n >= rules.MaxPending {
			return nil, &commands.PendingCapError{Pending: n}
		}
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		// Commit only if what was read still holds: no deactivation recorded, no request
		// made by this delivery, and no pending request of the requester added or changed
		// since the read (one that left pending only lowers the count).
		b.cmps = append(b.cmps,
			clientv3.Compare(clientv3.CreateRevision(s.keys.deactivated(r.Requester)), "=", 0),
			clientv3.Compare(clientv3.ModRevision(pending), "<", open.GetHeader().GetRevision()+1).WithPrefix(),
		)
		if r.Key != "" {
			b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(s.keys.deliveryKey(r.Requester, r.Key)), "=", 0))
		}
		b.head.Requests++
		b.headUsed = true
		id = commands.RequestID(b.head.Requests)
		stored := *r // a shallow copy is enough: it is only encoded
		stored.ID = id
		// The head guards the id, and this guard says so again: a request key is
		// written once.
		b.cmps = append(b.cmps, clientv3.Compare(clientv3.CreateRevision(s.keys.request(id)), "=", 0))
		if err := b.putRequest(nil, &stored); err != nil {
			return nil, err
		}
		if r.Key != "" {
			b.put(s.keys.deliveryKey(r.Requester, r.Key), []byte(num(uint64(id))))
		}
		return b, b.writeChange(id, c)
	})
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	r.ID = id
	return nil
}

// Update loads request id, hands a private copy to fn, and if fn succeeds stores the copy
// with its index keys, audit events and notifications in one transaction guarded by the
// request's ModRevision (and the head's, when the change allocates from it). If another
// writer changed the request first, Update reads it again and runs fn again on the new
// value: fn may run more than once, and only its last run counts. If fn fails nothing is
// written and its error is returned as it is.
func (s *Store) Update(ctx context.Context, id commands.RequestID,
	fn func(r *commands.Request) (commands.Change, error)) (*commands.Request, error) {
	key := s.keys.request(id)
	var out *commands.Request
	reads := []clientv3.Op{clientv3.OpGet(key), clientv3.OpGet(s.keys.of(keyHead))}
	err := s.writeLoop(ctx, "update", reads, func(got []*pb.ResponseOp) (*batch, error) {
		kvs := got[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			return nil, notFound(id)
		}
		old, err := state.DecodeRequest(id, kvs[0].Value)
		if err != nil {
			return nil, err
		}
		r := old.Clone() // old stays as read, to know which index keys to remove
		c, err := fn(r)
		if err != nil {
			return nil, err
		}
		if r.ID != id {
			return nil, fmt.Errorf("update %s: fn changed the id to %s", id, r.ID)
		}
		b, err := s.newBatch(got[1])
		if err != nil {
			return nil, err
		}
		b.guard(key, kvs[0].ModRevision)
		if err := b.putRequest(old, r); err != nil {
			return nil, err
		}
		out = r
		return b, b.writeChange(id, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns request id, or an error matching commands.ErrNotFound.
func (s *Store) Get(ctx context.Context, id commands.RequestID) (*commands.Request, error) {
	resp, err := s.client.Get(ctx, s.keys.request(id), s.at()...)
	if err != nil {
		return nil, fmt.Errorf("etcd get %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, notFound(id)
	}
	return state.DecodeRequest(id, resp.Kvs[0].Value)
}

func notFound(id commands.RequestID) error {
	return commands.Errorf(commands.CodeNotFound, "There is no request %s.", id)
}

// Record writes audit events and notifications that belong to no request (Request zero).
// It implements commands.Journal.
func (s *Store) Record(ctx context.Context, c commands.Change) error {
	return s.writeLoop(ctx, "record", []clientv3.Op{clientv3.OpGet(s.keys.of(keyHead))}, func(got []*pb.ResponseOp) (*batch, error) {
		b, err := s.newBatch(got[0])
		if err != nil {
			return nil, err
		}
		return b, b.writeChange(0, c)
	})
}
