package state

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// bucketReviews holds access reviews: review id → JSON commands.Review. It is made by the
// first review written, so a database from before reviews needs no new schema version: a
// cakegate that does not know the bucket never reads it.
var bucketReviews = []byte("reviews")

// EncodeReview is the stored form of a review; both stores keep it so.
func EncodeReview(rv *commands.Review) ([]byte, error) {
	v, err := json.Marshal(rv)
	if err != nil {
		return nil, fmt.Errorf("encode review %s: %w", rv.ID, err)
	}
	return v, nil
}

// DecodeReview reads a review stored by EncodeReview.
func DecodeReview(id string, v []byte) (*commands.Review, error) {
	var rv commands.Review
	if err := json.Unmarshal(v, &rv); err != nil {
		return nil, fmt.Errorf("decode review %s: %w", id, err)
	}
	return &rv, nil
}

// CreateReview stores a new review with c in one transaction. It implements
// commands.ReviewStore.
func (s *Store) CreateReview(ctx context.Context, rv *commands.Review, c commands.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rv.ID == "" {
		return fmt.Errorf("create review: no id")
	}
	v, err := EncodeReview(rv)
	if err != nil {
		return err
	}
	return s.update(ctx, "record", func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketReviews)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketReviews, err)
		}
		if b.Get([]byte(rv.ID)) != nil {
			return fmt.Errorf("create review %s: it exists already", rv.ID)
		}
		if err := b.Put([]byte(rv.ID), v); err != nil {
			return fmt.Errorf("store review %s: %w", rv.ID, err)
		}
		return s.writeChange(tx, 0, c)
	})
}

// UpdateReview changes review id with fn and writes fn's change, in one transaction.
func (s *Store) UpdateReview(ctx context.Context, id string, fn func(rv *commands.Review) (commands.Change, error)) (*commands.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *commands.Review
	var fnErr error
	err := s.update(ctx, "record", func(tx *bbolt.Tx) error {
		// As in Update: a review that is not there, or fn's refusal (an item decided
		// already), writes nothing and is an answer, returned beside the transaction that the
		// writes committed with this one share.
		out, fnErr = nil, nil
		b := tx.Bucket(bucketReviews)
		var v []byte
		if b != nil {
			v = b.Get([]byte(id))
		}
		if v == nil {
			fnErr = fmt.Errorf("review %s: %w", id, commands.ErrReviewNotFound)
			return errNothingWritten
		}
		rv, err := DecodeReview(id, v)
		if err != nil {
			return err
		}
		c, err := fn(rv)
		if err != nil {
			fnErr = err
			return errNothingWritten
		}
		rv.ID = id
		nv, err := EncodeReview(rv)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), nv); err != nil {
			return fmt.Errorf("store review %s: %w", id, err)
		}
		out = rv
		return s.writeChange(tx, 0, c)
	})
	if fnErr != nil {
		return nil, fnErr
	}
	return out, err
}

// GetReview returns review id.
func (s *Store) GetReview(ctx context.Context, id string) (*commands.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *commands.Review
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReviews)
		var v []byte
		if b != nil {
			v = b.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("review %s: %w", id, commands.ErrReviewNotFound)
		}
		var err error
		out, err = DecodeReview(id, v)
		return err
	})
	return out, err
}

// LatestReviews returns the n newest reviews, newest first.
func (s *Store) LatestReviews(ctx context.Context, n int) ([]*commands.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*commands.Review
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReviews)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			rv, err := DecodeReview(string(k), v)
			if err != nil {
				return err
			}
			out = append(out, rv)
		}
		return nil
	})
	return out, err
}
