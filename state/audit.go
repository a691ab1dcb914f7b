package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	// Hash is the hex SHA-256 of PrevHash followed by the event's canonical JSON.
	Hash string `json:"hash"`
}

// auditWriter appends events to the audit log within one transaction, carrying the chain's
// tip from one event to the next so a change with several events reads it once.
type auditWriter struct {
	log, byRequest *bbolt.Bucket
	tip            string
}

// newAuditWriter starts appending after the last stored record.
func newAuditWriter(tx *bbolt.Tx) (*auditWriter, error) {
	w := &auditWriter{log: tx.Bucket(bucketAudit), byRequest: tx.Bucket(bucketAuditByRequest)}
	k, v := w.log.Cursor().Last()
	if k == nil {
		return w, nil
	}
	var last struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(v, &last); err != nil || last.Hash == "" {
		// Chaining onto a damaged record would hide where the damage is.
		return nil, fmt.Errorf("audit event %d, the last one, is damaged; run cakegate audit verify",
			readU64(k))
	}
	w.tip = last.Hash
	return w, nil
}

// append gives e the next sequence number, chains it to the tip and stores it, with an
// audit_by_request entry when it names a request.
func (w *auditWriter) append(e commands.AuditEvent) error {
	seq, err := w.log.NextSequence()
	if err != nil {
		return fmt.Errorf("next audit seq: %w", err)
	}
	rec, v, err := ChainAudit(w.tip, seq, e)
	if err != nil {
		return err
	}
	if err := w.log.Put(u64(seq), v); err != nil {
		return fmt.Errorf("put audit event %d: %w", seq, err)
	}
	if rec.Request != 0 {
		if err := w.byRequest.Put(auditByRequestKey(rec.Request, seq), []byte{}); err != nil {
			return fmt.Errorf("index audit event %d: %w", seq, err)
		}
	}
	w.tip = rec.Hash
	return nil
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

// chainHash links an event to the one before it.
func chainHash(prev string, canon []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
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

// VerifyAudit recomputes the hash chain over the whole audit log. It returns 0 and nil when
// every record is intact. Otherwise it returns the sequence number of the first record that
// does not hold (changed, undecodable, out of place, or missing, including records cut off
// the end) and an error matching ErrAuditBroken that says what is wrong; any other error
// means the log could not be read. The chain proves the log was not edited piecemeal; it
// cannot tell a log rewritten from start to end, for which the newest Hash must be kept
// elsewhere.
func (s *Store) VerifyAudit(ctx context.Context) (firstBroken uint64, err error) {
	return s.verifyAudit(ctx, verifyChunk)
}

// verifyAudit is VerifyAudit checking chunk records per transaction.
func (s *Store) verifyAudit(ctx context.Context, chunk int) (uint64, error) {
	v := chainVerifier{}
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		err := s.db.View(func(tx *bbolt.Tx) error {
			var err error
			done, err = v.next(tx.Bucket(bucketAudit), chunk)
			return err
		})
		if v.broken != 0 {
			return v.broken, err
		}
		if err != nil {
			return 0, fmt.Errorf("verify audit log: %w", err)
		}
	}
	return 0, nil
}

// chainVerifier walks the audit log in order, remembering where it is between transactions.
type chainVerifier struct {
	last   uint64 // the last record checked
	prev   string // its hash
	broken uint64 // the first record that does not hold, once found
}

// next checks up to n records after the last one checked. It reports done at the end of the
// log, or with an error matching ErrAuditBroken (and v.broken set) at the first bad record.
func (v *chainVerifier) next(log *bbolt.Bucket, n int) (done bool, err error) {
	c := log.Cursor()
	k, val := c.Seek(u64(v.last + 1))
	for ; k != nil && n > 0; k, val = c.Next() {
		n--
		seq := readU64(k)
		if seq != v.last+1 {
			return true, v.fail(v.last+1, "is missing")
		}
		rec, err := CheckAuditLink(v.prev, seq, val)
		if err != nil {
			v.broken = seq
			return true, err
		}
		v.prev, v.last = rec.Hash, seq
	}
	if k != nil {
		return false, nil
	}
	// The bucket's sequence counts every event ever appended, so records removed from the
	// end show up as a gap here.
	if total := log.Sequence(); total > v.last {
		return true, v.fail(v.last+1, fmt.Sprintf("is missing, and so is every event up to %d", total))
	}
	return true, nil
}

// fail records seq as the first broken record.
func (v *chainVerifier) fail(seq uint64, what string) error {
	v.broken = seq
	return fmt.Errorf("audit event %d %s: %w", seq, what, ErrAuditBroken)
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
