package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// keyAuditKeying, in the meta bucket, holds the chain's AuditKeying as JSON once the chain
// is keyed; absent while it is not. It is written in the transaction that appends the
// first keyed event, and never again.
var keyAuditKeying = []byte("audit_keying")

// WithAuditKey has the store chain the audit events it writes with key (HMAC-SHA256), and
// check keyed events with it in VerifyAudit. A chain that is not keyed yet is keyed by
// KeyAudit; until then the store refuses to write audit events, so that keying happens once,
// where the operator sees it.
func WithAuditKey(key *AuditKey) Option {
	return func(o *options) { o.auditKey = key }
}

// readAuditKeying reads the chain's keying marker.
func readAuditKeying(tx *bbolt.Tx) (AuditKeying, error) {
	var k AuditKeying
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return k, nil
	}
	v := meta.Get(keyAuditKeying)
	if v == nil {
		return k, nil
	}
	if err := json.Unmarshal(v, &k); err != nil || !k.Keyed() || k.KeyID == "" {
		return AuditKeying{}, fmt.Errorf("the audit chain's keying marker %q is damaged; run cakegate audit verify", v)
	}
	return k, nil
}

// putAuditKeying writes the chain's keying marker.
func putAuditKeying(tx *bbolt.Tx, k AuditKeying) error {
	v, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode audit keying: %w", err)
	}
	if err := tx.Bucket(bucketMeta).Put(keyAuditKeying, v); err != nil {
		return fmt.Errorf("write audit keying: %w", err)
	}
	return nil
}

// AuditKeying says from which event the audit chain is keyed, and with which key, as the
// store records it (one read, not a walk of the log).
func (s *Store) AuditKeying(ctx context.Context) (AuditKeying, error) {
	if err := ctx.Err(); err != nil {
		return AuditKeying{}, err
	}
	var k AuditKeying
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		k, err = readAuditKeying(tx)
		return err
	})
	return k, err
}

// ErrNoAuditKey is KeyAudit's answer for a store opened without a key, in both stores.
var ErrNoAuditKey = errors.New("key the audit chain: the store has no audit key")

// KeyAudit keys the audit chain with the store's key: if the chain is not keyed yet, it
// appends e as its first keyed event and records the chain as keyed from it, in one
// transaction; every event after it is keyed too, and the events before it stay as they
// are, covered by its HMAC through their hashes. It returns the chain's keying and whether
// e was written: a chain keyed before with the same key is left as it is, one keyed with
// another key is refused with an error matching ErrAuditWrongKey.
func (s *Store) KeyAudit(ctx context.Context, e commands.AuditEvent) (AuditKeying, bool, error) {
	if err := ctx.Err(); err != nil {
		return AuditKeying{}, false, err
	}
	if s.auditKey == nil {
		return AuditKeying{}, false, ErrNoAuditKey
	}
	var k AuditKeying
	var wrote bool
	err := s.update(ctx, "key_audit", func(tx *bbolt.Tx) error {
		w, err := openAuditWriter(tx)
		if err != nil {
			return err
		}
		k = w.keying
		if k.Keyed() {
			return CheckAuditWriteKey(k, s.auditKey)
		}
		w.key = s.auditKey
		rec, err := w.append(e)
		if err != nil {
			return err
		}
		k, wrote = AuditKeying{From: rec.Seq, KeyID: s.auditKey.ID()}, true
		return putAuditKeying(tx, k)
	})
	if err != nil {
		return AuditKeying{}, false, err
	}
	return k, wrote, nil
}
