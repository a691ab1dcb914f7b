package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// Deactivation is the stored record that a person's Slack account was deactivated.
type Deactivation struct {
	At time.Time `json:"at"`
}

// EncodeDeactivation is the stored form of a deactivation; both stores keep it so.
func EncodeDeactivation(d Deactivation) ([]byte, error) {
	v, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode deactivation: %w", err)
	}
	return v, nil
}

// DecodeDeactivation reads a deactivation stored by EncodeDeactivation.
func DecodeDeactivation(user string, v []byte) (Deactivation, error) {
	var d Deactivation
	if err := json.Unmarshal(v, &d); err != nil {
		return d, fmt.Errorf("decode the deactivation of %s: %w", user, err)
	}
	return d, nil
}

// RecordDeactivation records that user was deactivated at, with c, in one transaction. One
// recorded already keeps its time, and nothing is written. It implements
// commands.Deactivations.
func (s *Store) RecordDeactivation(ctx context.Context, user string, at time.Time, c commands.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := EncodeDeactivation(Deactivation{At: at})
	if err != nil {
		return err
	}
	if _, recorded, err := s.DeactivatedAt(ctx, user); err != nil || recorded {
		return err
	}
	return s.update(ctx, "record", func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDeactivated)
		if b.Get([]byte(user)) != nil {
			return errNothingWritten // recorded meanwhile
		}
		if err := b.Put([]byte(user), v); err != nil {
			return fmt.Errorf("record the deactivation of %s: %w", user, err)
		}
		return s.writeChange(tx, 0, c)
	})
}

// ClearDeactivation forgets user's deactivation, with c, in one transaction; with none
// recorded it writes nothing.
func (s *Store) ClearDeactivation(ctx context.Context, user string, c commands.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, recorded, err := s.DeactivatedAt(ctx, user); err != nil || !recorded {
		return err
	}
	return s.update(ctx, "record", func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDeactivated)
		if b.Get([]byte(user)) == nil {
			return errNothingWritten // cleared meanwhile
		}
		if err := b.Delete([]byte(user)); err != nil {
			return fmt.Errorf("clear the deactivation of %s: %w", user, err)
		}
		return s.writeChange(tx, 0, c)
	})
}

// DeactivatedAt says whether, and since when, user is recorded as deactivated.
func (s *Store) DeactivatedAt(ctx context.Context, user string) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	var d Deactivation
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketDeactivated).Get([]byte(user))
		if v == nil {
			return nil
		}
		found = true
		var err error
		d, err = DecodeDeactivation(user, v)
		return err
	})
	return d.At, found, err
}
