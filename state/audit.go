package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// AuditRecord is an audit event as stored: the event and its link in the hash chain, which
// makes an event changed, removed or reordered after the fact detectable by VerifyAudit.
type AuditRecord struct {
	commands.AuditEvent
	// PrevHash is the Hash of the record before this one; empty for the first.
	PrevHash string `json:"prev_hash"`
	// Hash is the hex SHA-256 of PrevHash followed by the event's canonical JSON; for a
	// keyed record, the hex HMAC-SHA256 of the same bytes under the audit key.
	Hash string `json:"hash"`
	// KeyID names the key of a keyed record (AuditKey.ID); empty for an unkeyed one.
	KeyID string `json:"key_id,omitempty"`
}

// auditWriter appends events to the audit log within one transaction, carrying the chain's
// tip from one event to the next so a change with several events reads it once.
type auditWriter struct {
	log, byRequest *bbolt.Bucket
	tip            string
	// key chains the records it appends (nil: unkeyed); keying is the chain's keying as
	// found, before anything is appended.
	key    *AuditKey
	keying AuditKeying
}

// newAuditWriter starts appending after the last stored record, chaining with key (nil:
// none), which must be the chain's own (CheckAuditWriteKey).
func newAuditWriter(tx *bbolt.Tx, key *AuditKey) (*auditWriter, error) {
	w, err := openAuditWriter(tx)
	if err != nil {
		return nil, err
	}
	if err := CheckAuditWriteKey(w.keying, key); err != nil {
		return nil, err
	}
	w.key = key
	return w, nil
}

// openAuditWriter starts appending after the last stored record, without a key yet: it
// reads the tip and the chain's keying, and refuses a chain whose last record and keying
// marker disagree.
func openAuditWriter(tx *bbolt.Tx) (*auditWriter, error) {
	w := &auditWriter{log: tx.Bucket(bucketAudit), byRequest: tx.Bucket(bucketAuditByRequest)}
	keying, err := readAuditKeying(tx)
	if err != nil {
		return nil, err
	}
	w.keying = keying
	k, v := w.log.Cursor().Last()
	if k == nil {
		return w, nil
	}
	var last struct {
		Hash  string `json:"hash"`
		KeyID string `json:"key_id"`
	}
	if err := json.Unmarshal(v, &last); err != nil || last.Hash == "" {
		// Chaining onto a damaged record would hide where the damage is.
		return nil, fmt.Errorf("audit event %d, the last one, is damaged; run cakegate audit verify",
			readU64(k))
	}
	if last.KeyID != keying.KeyID {
		return nil, fmt.Errorf("audit event %d, the last one, is keyed with key %q but the chain's keying says %q: "+
			"the database was changed; run cakegate audit verify", readU64(k), last.KeyID, keying.KeyID)
	}
	w.tip = last.Hash
	return w, nil
}

// append gives e the next sequence number, chains it to the tip and stores it, with an
// audit_by_request entry when it names a request.
func (w *auditWriter) append(e commands.AuditEvent) (AuditRecord, error) {
	seq, err := w.log.NextSequence()
	if err != nil {
		return AuditRecord{}, fmt.Errorf("next audit seq: %w", err)
	}
	rec, v, err := ChainAudit(w.key, w.tip, seq, e)
	if err != nil {
		return rec, err
	}
	if err := w.log.Put(u64(seq), v); err != nil {
		return rec, fmt.Errorf("put audit event %d: %w", seq, err)
	}
	if rec.Request != 0 {
		if err := w.byRequest.Put(auditByRequestKey(rec.Request, seq), []byte{}); err != nil {
			return rec, fmt.Errorf("index audit event %d: %w", seq, err)
		}
	}
	w.tip = rec.Hash
	return rec, nil
}

// canonicalEvent returns the bytes an event is hashed over, and the event as it will read
// back. The event goes through JSON once before hashing because encoding is not always
// stable across a round trip (invalid UTF-8 is replaced, times lose their monotonic reading
// and may change zone); after one trip it is, so VerifyAudit, which only sees decoded
// events, recomputes exactly these bytes.
func canonicalEvent(e commands.AuditEvent) ([]byte, commands.AuditEvent, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, e, fmt.Errorf("encode audit event %d: %w", e.Seq, err)
	}
	var back commands.AuditEvent
	if err := json.Unmarshal(b, &back); err != nil {
		return nil, e, fmt.Errorf("decode audit event %d: %w", e.Seq, err)
	}
	b, err = json.Marshal(back)
	if err != nil {
		return nil, e, fmt.Errorf("encode audit event %d: %w", e.Seq, err)
	}
	return b, back, nil
}

// auditByRequestKey orders a request's events by sequence under its id.
func auditByRequestKey(id commands.RequestID, seq uint64) []byte {
	return append(u64(uint64(id)), u64(seq)...)
}

// ErrAuditBroken is matched by the error VerifyAudit returns when the chain does not hold.
var ErrAuditBroken = errors.New("audit log chain is broken")

// AuditEvents returns the audit records after sequence number afterSeq, oldest first, at
// most limit of them (0 or less: all). Paging with the last Seq seen reads each record once.
func (s *Store) AuditEvents(ctx context.Context, afterSeq uint64, limit int) ([]AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []AuditRecord
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(u64(afterSeq + 1)); k != nil; k, v = c.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			rec, err := DecodeAudit(readU64(k), v)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// AuditForRequest returns the audit records of request id, oldest first, from the
// audit_by_request index, so its cost follows the request's history, not the log's length.
func (s *Store) AuditForRequest(ctx context.Context, id commands.RequestID) ([]AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []AuditRecord
	err := s.db.View(func(tx *bbolt.Tx) error {
		log := tx.Bucket(bucketAudit)
		prefix := u64(uint64(id))
		c := tx.Bucket(bucketAuditByRequest).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			seq := k[8:]
			v := log.Get(seq)
			if v == nil {
				return fmt.Errorf("audit index of %s names event %d, which does not exist: "+
					"the database file is damaged", id, readU64(seq))
			}
			rec, err := DecodeAudit(readU64(seq), v)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// verifyChunk is how many records VerifyAudit checks per read transaction. A long read
// transaction keeps bbolt from reusing freed pages, so a long log is checked in pieces.
const verifyChunk = 10_000

// VerifyAudit recomputes the hash chain over the whole audit log, keyed events with the
// store's audit key (WithAuditKey). It returns 0 and nil when every record is intact.
// Otherwise it returns the sequence number of the first record that does not hold
// (changed, undecodable, out of place, or missing, including records cut off the end) and
// an error matching ErrAuditBroken that says what is wrong; or the first keyed record and
// an error matching ErrAuditKeyNeeded (the store has no key) or ErrAuditWrongKey (its key
// is not the chain's). Any other error means the log could not be read.
//
// An unkeyed chain proves the log was not edited piecemeal; anyone who can write the
// database can still rewrite an event and recompute every hash after it. A keyed chain
// proves more: without the key, no event up to the newest can be changed unnoticed, the
// unkeyed ones before the first keyed event included, since that event's HMAC covers their
// hashes. An intact chain that is not keyed although a key is given passes here; the
// caller tells it apart with AuditKeying.
func (s *Store) VerifyAudit(ctx context.Context) (firstBroken uint64, err error) {
	return s.verifyAudit(ctx, verifyChunk)
}

// verifyAudit is VerifyAudit checking chunk records per transaction.
func (s *Store) verifyAudit(ctx context.Context, chunk int) (uint64, error) {
	c := NewAuditChecker(s.auditKey)
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		err := s.db.View(func(tx *bbolt.Tx) error {
			var err error
			done, err = checkChunk(tx, c, chunk)
			return err
		})
		if c.Broken() != 0 {
			return c.Broken(), err
		}
		if err != nil {
			return 0, fmt.Errorf("verify audit log: %w", err)
		}
	}
	return 0, nil
}

// checkChunk checks up to n records after the last one c checked. It reports done at the
// end of the log, or at the first record that does not hold (with c.Broken set).
func checkChunk(tx *bbolt.Tx, c *AuditChecker, n int) (done bool, err error) {
	log := tx.Bucket(bucketAudit)
	cur := log.Cursor()
	k, val := cur.Seek(u64(c.Last() + 1))
	for ; k != nil && n > 0; k, val = cur.Next() {
		n--
		if err := c.Check(readU64(k), val); err != nil {
			return true, err
		}
	}
	if k != nil {
		return false, nil
	}
	marker, err := readAuditKeying(tx)
	if err != nil {
		return true, err
	}
	// The bucket's sequence counts every event ever appended, so records removed from the
	// end show up as a gap here. The marker is read in the transaction that sees the end,
	// so a chain keyed while the check ran is seen whole.
	return true, c.Finish(log.Sequence(), marker)
}

// RecentAudit returns the newest n audit events, newest first, reading only those. It
// implements commands.AuditReader.
func (s *Store) RecentAudit(ctx context.Context, n int) ([]commands.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []commands.AuditEvent
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			rec, err := DecodeAudit(readU64(k), v)
			if err != nil {
				return err
			}
			out = append(out, rec.AuditEvent)
		}
		return nil
	})
	return out, err
}
