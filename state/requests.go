package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// Store must satisfy the interface the use cases are written against.
var _ commands.Store = (*Store)(nil)

// Create stores a new request, gives it the next id (setting r.ID), and writes c's audit
// events and notifications in the same transaction. Events and notifications whose Request
// is zero are given the new id. r itself is not kept: later changes to it do not reach the
// store. In the same transaction it refuses a request commands.RequestStore says it must
// (a deactivated requester, the same delivery again, too many pending).
func (s *Store) Create(ctx context.Context, r *commands.Request, c commands.Change, rules commands.CreateRules) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if strings.IndexByte(r.Requester, sep) >= 0 {
		// The NUL byte ends the user part of a by_user key; one inside a user id would let
		// one user's requests show up in another's list.
		return commands.Errorf(commands.CodeInvalid, "requester %q contains a NUL byte", r.Requester)
	}
	var id commands.RequestID
	var refused error
	err := s.update(ctx, "create", func(tx *bbolt.Tx) error {
		// A refusal writes nothing and is an answer, not a failed write: it is returned
		// beside the transaction, which the writes committed with this one share.
		id, refused = 0, nil
		if refused = checkCreate(tx, r, rules); refused != nil {
			return errNothingWritten
		}
		seq, err := tx.Bucket(bucketRequests).NextSequence()
		if err != nil {
			return fmt.Errorf("next request id: %w", err)
		}
		id = commands.RequestID(seq)
		stored := *r // a shallow copy is enough: it is only encoded
		stored.ID = id
		if err := putRequest(tx, nil, &stored); err != nil {
			return err
		}
		if r.Key != "" {
			if err := tx.Bucket(bucketDeliveryKeys).Put(deliveryKey(r), u64(seq)); err != nil {
				return fmt.Errorf("record delivery key: %w", err)
			}
		}
		return s.writeChange(tx, id, c)
	})
	if refused != nil {
		err = refused
	}
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	r.ID = id
	return nil
}

// checkCreate refuses r, about to be created, for what commands.RequestStore.Create names.
func checkCreate(tx *bbolt.Tx, r *commands.Request, rules commands.CreateRules) error {
	if tx.Bucket(bucketDeactivated).Get([]byte(r.Requester)) != nil {
		return commands.ErrDeactivated
	}
	if r.Key != "" {
		if v := tx.Bucket(bucketDeliveryKeys).Get(deliveryKey(r)); v != nil {
			return &commands.SameDeliveryError{ID: commands.RequestID(readU64(v))}
		}
	}
	if rules.MaxPending <= 0 {
		return nil
	}
	prefix := stringPrefix(r.Requester)
	pending := 0
	c := tx.Bucket(bucketPendingByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if pending++; pending >= rules.MaxPending {
			return &commands.PendingCapError{Pending: pending}
		}
	}
	return nil
}

// deliveryKey is the key under which r's delivery key is remembered: keys are Slack's
// trigger ids, unique per person and delivery.
func deliveryKey(r *commands.Request) []byte {
	return append(stringPrefix(r.Requester), r.Key...)
}

// Update loads request id, hands a private copy to fn, and if fn succeeds stores the copy
// with its index entries, audit events and notifications, all in one transaction. fn sees
// the state as it is while no one else can write, so checking it there is a compare-and-set.
// If fn fails nothing is written and its error is returned as it is. Events and
// notifications whose Request is zero are given id. fn must not block: every other writer
// waits for it. The transaction may be shared with other writes (group commit), and fn may
// run more than once, when a write beside it fails: only its last run counts.
func (s *Store) Update(ctx context.Context, id commands.RequestID,
	fn func(r *commands.Request) (commands.Change, error)) (*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *commands.Request
	var fnErr error
	err := s.update(ctx, "update", func(tx *bbolt.Tx) error {
		// A request that is not there, or fn's refusal (a compare-and-set that does not
		// hold), writes nothing and is an answer, not a failed write: it is returned beside
		// the transaction, which the writes committed with this one share.
		out, fnErr = nil, nil
		old, err := getRequest(tx, &s.requests, id)
		if err != nil {
			fnErr = err
			return errNothingWritten
		}
		// old stays as it was read, to know which index entries to remove.
		r := old.Clone()
		c, err := fn(r)
		if err != nil {
			fnErr = err
			return errNothingWritten
		}
		if r.ID != id {
			return fmt.Errorf("update %s: fn changed the id to %s", id, r.ID)
		}
		if err := putRequest(tx, old, r); err != nil {
			return err
		}
		if err := s.writeChange(tx, id, c); err != nil {
			return err
		}
		out = r
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns request id, or an error matching commands.ErrNotFound. The request is the
// caller's own (decoded afresh, or a clone of an earlier decoding): it may change it freely.
func (s *Store) Get(ctx context.Context, id commands.RequestID) (*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var r *commands.Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		r, err = getRequest(tx, &s.requests, id)
		return err
	})
	return r, err
}

// getRequest reads and decodes request id, through cache (nil: none).
func getRequest(tx *bbolt.Tx, cache *requestCache, id commands.RequestID) (*commands.Request, error) {
	v := tx.Bucket(bucketRequests).Get(u64(uint64(id)))
	if v == nil {
		return nil, commands.Errorf(commands.CodeNotFound, "There is no request %s.", id)
	}
	return cache.decode(id, v)
}

// putRequest writes r and moves its index entries from old's (nil for a new request).
func putRequest(tx *bbolt.Tx, old, r *commands.Request) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	if err := tx.Bucket(bucketRequests).Put(u64(uint64(r.ID)), v); err != nil {
		return fmt.Errorf("put request %s: %w", r.ID, err)
	}
	return reindex(tx, old, r)
}

// writeChange appends c's audit events and queues its notifications, filling in id where
// they name no request.
func (s *Store) writeChange(tx *bbolt.Tx, id commands.RequestID, c commands.Change) error {
	if len(c.Audit) > 0 {
		w, err := newAuditWriter(tx, s.auditKey)
		if err != nil {
			return err
		}
		for _, e := range c.Audit {
			if e.Request == 0 {
				e.Request = id
			}
			if _, err := w.append(e); err != nil {
				return err
			}
		}
	}
	for _, n := range c.Outbox {
		if n.Request == 0 {
			n.Request = id
		}
		if err := enqueue(tx, n); err != nil {
			return err
		}
	}
	return nil
}

// Record writes audit events and notifications that belong to no request (Request zero),
// such as reconcile's report of an API user no grant owns. It implements commands.Journal.
func (s *Store) Record(ctx context.Context, c commands.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(ctx, "record", func(tx *bbolt.Tx) error { return s.writeChange(tx, 0, c) })
}
