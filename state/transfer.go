package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// Content is a store's whole content as one moment saw it, in the records every cakegate
// store shares: what a migration copies from one store to another, and what a backup of
// the etcd store writes into a bbolt file. The sequences are read once each, in order.
type Content struct {
	Installation string
	CreatedAt    time.Time
	// LastRequest and LastNotification are the last ids handed out, which may be beyond
	// the last stored (notifications are deleted once delivered).
	LastRequest, LastNotification uint64
	Requests                      iter.Seq2[*commands.Request, error]
	Audit                         iter.Seq2[AuditRecord, error] // oldest first
	Outbox                        iter.Seq2[commands.Notification, error]
	// Deactivated are the people recorded as deactivated, and since when.
	Deactivated map[string]time.Time
	// Reviews are the access reviews, in id order.
	Reviews []*commands.Review
}

// Export hands fn the store's content, read in one transaction: a single point in time,
// however long fn takes, without blocking writers.
func (s *Store) Export(ctx context.Context, fn func(Content) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		c := Content{
			Installation:     string(meta.Get(keyInstallation)),
			LastRequest:      tx.Bucket(bucketRequests).Sequence(),
			LastNotification: tx.Bucket(bucketOutbox).Sequence(),
			Requests: func(yield func(*commands.Request, error) bool) {
				cur := tx.Bucket(bucketRequests).Cursor()
				for k, v := cur.First(); k != nil; k, v = cur.Next() {
					r, err := DecodeRequest(commands.RequestID(readU64(k)), v)
					if !yield(r, err) || err != nil || ctx.Err() != nil {
						return
					}
				}
			},
			Audit: func(yield func(AuditRecord, error) bool) {
				cur := tx.Bucket(bucketAudit).Cursor()
				for k, v := cur.First(); k != nil; k, v = cur.Next() {
					rec, err := DecodeAudit(readU64(k), v)
					if !yield(rec, err) || err != nil || ctx.Err() != nil {
						return
					}
				}
			},
			Outbox: func(yield func(commands.Notification, error) bool) {
				cur := tx.Bucket(bucketOutbox).Cursor()
				for k, v := cur.First(); k != nil; k, v = cur.Next() {
					n, err := DecodeNotification(readU64(k), v)
					if !yield(n, err) || err != nil || ctx.Err() != nil {
						return
					}
				}
			},
		}
		c.CreatedAt, _ = time.Parse(time.RFC3339, string(meta.Get(keyCreatedAt)))
		c.Deactivated = map[string]time.Time{}
		err := tx.Bucket(bucketDeactivated).ForEach(func(k, v []byte) error {
			d, err := DecodeDeactivation(string(k), v)
			c.Deactivated[string(k)] = d.At
			return err
		})
		if err != nil {
			return err
		}
		if b := tx.Bucket(bucketReviews); b != nil {
			err := b.ForEach(func(k, v []byte) error {
				rv, err := DecodeReview(string(k), v)
				c.Reviews = append(c.Reviews, rv)
				return err
			})
			if err != nil {
				return err
			}
		}
		if err := fn(c); err != nil {
			return err
		}
		return ctx.Err()
	})
}

// Import creates a new database file at path holding c, as the store c came from held it:
// the same installation id, ids, audit chain and queued notifications. It refuses a path
// that exists. The file is written in one transaction, so it holds all of c or nothing.
func Import(ctx context.Context, path string, c Content) (err error) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("import into %s: the file exists; cakegate imports only into a new database", path)
	}
	s, err := Open(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	return s.db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyInstallation, []byte(c.Installation)); err != nil {
			return err
		}
		if err := meta.Put(keyCreatedAt, []byte(c.CreatedAt.UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		for r, err := range c.Requests {
			if err != nil {
				return err
			}
			if err := putRequest(tx, nil, r); err != nil {
				return err
			}
		}
		log, byRequest := tx.Bucket(bucketAudit), tx.Bucket(bucketAuditByRequest)
		var lastAudit uint64
		var keying AuditKeying
		for rec, err := range c.Audit {
			if err != nil {
				return err
			}
			v, err := EncodeAuditRecord(rec)
			if err != nil {
				return err
			}
			if err := log.Put(u64(rec.Seq), v); err != nil {
				return err
			}
			if rec.Request != 0 {
				if err := byRequest.Put(auditByRequestKey(rec.Request, rec.Seq), []byte{}); err != nil {
					return err
				}
			}
			lastAudit = rec.Seq
			if rec.KeyID != "" && !keying.Keyed() {
				// The marker is derived from the records, so the copy's keying is the
				// original's, and VerifyAudit checks the two against each other as there.
				keying = AuditKeying{From: rec.Seq, KeyID: rec.KeyID}
			}
		}
		if keying.Keyed() {
			if err := putAuditKeying(tx, keying); err != nil {
				return err
			}
		}
		for n, err := range c.Outbox {
			if err != nil {
				return err
			}
			if err := putNotification(tx, n); err != nil {
				return err
			}
		}
		for user, at := range c.Deactivated {
			v, err := EncodeDeactivation(Deactivation{At: at})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketDeactivated).Put([]byte(user), v); err != nil {
				return err
			}
		}
		for _, rv := range c.Reviews {
			v, err := EncodeReview(rv)
			if err != nil {
				return err
			}
			b, err := tx.CreateBucketIfNotExists(bucketReviews)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(rv.ID), v); err != nil {
				return err
			}
		}
		for _, seq := range []struct {
			bucket []byte
			n      uint64
		}{{bucketRequests, c.LastRequest}, {bucketAudit, lastAudit}, {bucketOutbox, c.LastNotification}} {
			if err := tx.Bucket(seq.bucket).SetSequence(seq.n); err != nil {
				return fmt.Errorf("import: set the sequence of %s to %s: %w", seq.bucket, strconv.FormatUint(seq.n, 10), err)
			}
		}
		return ctx.Err()
	})
}
