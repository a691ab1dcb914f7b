package etcdstore

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// scanPage is how many keys one read of a whole folder fetches.
const scanPage = 500

// scan yields every key-value under dir at the view's revision, in key order, a page at
// a time.
func (s *Store) scan(ctx context.Context, dir string) iter.Seq2[*mvccpb.KeyValue, error] {
	return func(yield func(*mvccpb.KeyValue, error) bool) {
		from, end := s.keys.prefix+dir, clientv3.GetPrefixRangeEnd(s.keys.prefix+dir)
		for {
			resp, err := s.client.Get(ctx, from, s.at(clientv3.WithRange(end), clientv3.WithLimit(scanPage))...)
			if err != nil {
				yield(nil, fmt.Errorf("etcd read %s: %w", dir, err))
				return
			}
			for _, kv := range resp.Kvs {
				if !yield(kv, nil) {
					return
				}
			}
			if !resp.More || len(resp.Kvs) == 0 {
				return
			}
			from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
	}
}

// decoded turns scan's key-values into records with decode, which gets the id at the
// key's end.
func decoded[T any](kvs iter.Seq2[*mvccpb.KeyValue, error], decode func(id uint64, v []byte) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for kv, err := range kvs {
			var zero T
			if err != nil {
				yield(zero, err)
				return
			}
			id, err := lastNum(string(kv.Key))
			if err != nil {
				yield(zero, fmt.Errorf("key %q does not end in an id: the etcd store is damaged", kv.Key))
				return
			}
			rec, err := decode(id, kv.Value)
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// Export hands fn the store's content, every record read at one revision.
func (s *Store) Export(ctx context.Context, fn func(state.Content) error) error {
	view, err := s.AtRevision(ctx)
	if err != nil {
		return err
	}
	resp, err := s.client.Get(ctx, s.keys.of(keyHead), view.at()...)
	if err != nil {
		return fmt.Errorf("etcd read head: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("the etcd store has no head key")
	}
	h, err := decodeHead(resp.Kvs[0].Value)
	if err != nil {
		return err
	}
	deactivated := map[string]time.Time{}
	for kv, err := range view.scan(ctx, dirDeactivated) {
		if err != nil {
			return err
		}
		user := string(kv.Key[len(s.keys.of(dirDeactivated)):])
		d, err := state.DecodeDeactivation(user, kv.Value)
		if err != nil {
			return err
		}
		deactivated[user] = d.At
	}
	var reviews []*commands.Review
	for kv, err := range view.scan(ctx, dirReviews) {
		if err != nil {
			return err
		}
		rv, err := state.DecodeReview(string(kv.Key[len(s.keys.of(dirReviews)):]), kv.Value)
		if err != nil {
			return err
		}
		reviews = append(reviews, rv)
	}
	return fn(state.Content{
		Installation:     s.installation,
		Deactivated:      deactivated,
		Reviews:          reviews,
		CreatedAt:        s.createdAt,
		LastRequest:      h.Requests,
		LastNotification: h.Notifications,
		Requests: decoded(view.scan(ctx, dirRequests), func(id uint64, v []byte) (*commands.Request, error) {
			return state.DecodeRequest(commands.RequestID(id), v)
		}),
		Audit:  decoded(view.scan(ctx, dirAudit), state.DecodeAudit),
		Outbox: decoded(view.scan(ctx, dirOutbox), state.DecodeNotification),
	})
}

// Import writes c under prefix, which must hold nothing yet, as the store c came from held
// it: the same installation id, ids, audit chain and queued notifications. It writes in
// transactions of at most maxTxnOps operations (DefaultMaxTxnOps if 0) and the schema
// version, installation id and head last, so a store whose import stopped halfway is
// refused by Open rather than taken for a new one; delete the prefix and import again.
func Import(ctx context.Context, client *clientv3.Client, prefix string, c state.Content, maxTxnOps int) error {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if maxTxnOps <= 0 {
		maxTxnOps = DefaultMaxTxnOps
	}
	k := keys{prefix: prefix}
	resp, err := client.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	if resp.Count > 0 {
		return fmt.Errorf("etcd prefix %s already holds %d keys: cakegate imports only into an empty prefix", prefix, resp.Count)
	}
	b := &batch{keys: k}
	flush := func(room int) error {
		if len(b.ops)+room <= maxTxnOps {
			return nil
		}
		if _, err := client.Txn(ctx).Then(b.ops...).Commit(); err != nil {
			return fmt.Errorf("etcd import: %w", err)
		}
		b.ops = b.ops[:0]
		return nil
	}
	for r, err := range c.Requests {
		if err != nil {
			return err
		}
		if err := flush(5); err != nil { // the request and at most four index keys
			return err
		}
		if err := b.putRequest(nil, r); err != nil {
			return err
		}
	}
	var h head
	for rec, err := range c.Audit {
		if err != nil {
			return err
		}
		if err := flush(2); err != nil {
			return err
		}
		v, err := state.EncodeAuditRecord(rec)
		if err != nil {
			return err
		}
		b.put(k.audit(rec.Seq), v)
		if rec.Request != 0 {
			b.put(k.auditByRequest(rec.Request, rec.Seq), nil)
		}
		h.Audit, h.AuditHash = rec.Seq, rec.Hash
		if rec.KeyID != "" && h.AuditKeyedFrom == 0 {
			// The head's keying is derived from the records, as state.Import derives it.
			h.AuditKeyedFrom, h.AuditKeyID = rec.Seq, rec.KeyID
		}
	}
	for n, err := range c.Outbox {
		if err != nil {
			return err
		}
		if err := flush(2); err != nil {
			return err
		}
		if err := b.putNotification(n); err != nil {
			return err
		}
	}
	for user, at := range c.Deactivated {
		if err := flush(1); err != nil {
			return err
		}
		v, err := state.EncodeDeactivation(state.Deactivation{At: at})
		if err != nil {
			return err
		}
		b.put(k.deactivated(user), v)
	}
	for _, rv := range c.Reviews {
		if err := flush(1); err != nil {
			return err
		}
		v, err := state.EncodeReview(rv)
		if err != nil {
			return err
		}
		b.put(k.review(rv.ID), v)
	}
	if err := flush(maxTxnOps); err != nil { // everything before the head
		return err
	}
	h.Requests, h.Notifications = c.LastRequest, c.LastNotification
	hv, err := encodeHead(h)
	if err != nil {
		return err
	}
	done, err := client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k.of(keySchemaVersion)), "=", 0)).
		Then(
			clientv3.OpPut(k.of(keySchemaVersion), strconv.Itoa(schemaVersion)),
			clientv3.OpPut(k.of(keyInstallation), c.Installation),
			clientv3.OpPut(k.of(keyCreatedAt), c.CreatedAt.UTC().Format(time.RFC3339)),
			clientv3.OpPut(k.of(keyHead), string(hv)),
		).Commit()
	if err != nil {
		return fmt.Errorf("etcd import: %w", err)
	}
	if !done.Succeeded {
		return fmt.Errorf("etcd prefix %s was created by someone else during the import", prefix)
	}
	return nil
}
