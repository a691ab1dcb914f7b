package state

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrAuditKeyNeeded is matched by the error VerifyAudit returns when it reaches a keyed
// event without a key to check it with, and by the error a write returns when the chain is
// keyed and the store has no key: an unkeyed event after keyed ones would break the chain.
var ErrAuditKeyNeeded = errors.New("the audit chain is keyed and no audit key was given")

// ErrAuditWrongKey is matched by the error VerifyAudit, a write or KeyAudit returns when
// the chain is keyed with another key than the store's (their IDs differ).
var ErrAuditWrongKey = errors.New("the audit key given is not the one the audit chain is keyed with")

// ErrAuditNotKeyed is matched by the error a write returns when the store has an audit key
// but the chain is not keyed: cakegate keys the chain at start (KeyAudit), so either that
// did not happen or the chain was rewritten without the key since.
var ErrAuditNotKeyed = errors.New("the audit chain is not keyed")

// AuditKeying says from where the audit chain is keyed. The chain records it twice: every
// keyed record carries its key's ID, and the store keeps the first keyed event's number
// beside the chain's tip (the bbolt meta bucket, the etcd head), which VerifyAudit checks
// against the records.
type AuditKeying struct {
	// From is the first keyed event; 0 when the chain is unkeyed. Every event from it on is
	// keyed, every event before it is not.
	From uint64 `json:"from"`
	// KeyID is the ID of the key the chain is keyed with (AuditKey.ID); "" when unkeyed.
	KeyID string `json:"key_id"`
}

// Keyed reports whether any event of the chain is keyed.
func (k AuditKeying) Keyed() bool { return k.From != 0 }

// CheckAuditWriteKey says whether a store holding key (nil: none) may append to a chain
// keyed as chain says: only with the chain's own key, or with no key on an unkeyed chain.
// Keying an unkeyed chain is KeyAudit's alone, so that it happens once, at start, where the
// operator sees it.
func CheckAuditWriteKey(chain AuditKeying, key *AuditKey) error {
	switch {
	case chain.Keyed() && key == nil:
		return fmt.Errorf("the audit chain is keyed from event %d (key %s), but this cakegate has no audit key: "+
			"set CAKEGATE_AUDIT_KEY_FILE to the key file it was keyed with: %w", chain.From, chain.KeyID, ErrAuditKeyNeeded)
	case chain.Keyed() && key.ID() != chain.KeyID:
		return fmt.Errorf("the audit chain is keyed from event %d with key %s, but this cakegate's key is %s: "+
			"set CAKEGATE_AUDIT_KEY_FILE to the key file it was keyed with: %w", chain.From, chain.KeyID, key.ID(), ErrAuditWrongKey)
	case !chain.Keyed() && key != nil:
		return fmt.Errorf("this cakegate has an audit key (%s) but the audit chain is not keyed: cakegate keys it at start, "+
			"so if it did, the chain has been rewritten without the key since; stop cakegate and run cakegate audit verify: %w",
			key.ID(), ErrAuditNotKeyed)
	}
	return nil
}

// AuditChecker checks the records of an audit chain in order, as VerifyAudit reads them,
// remembering where it is between reads. Both stores verify through it, so they agree on
// what a sound chain is: consecutive events, each linked to the one before, unkeyed events
// (plain SHA-256) up to some event and keyed ones (HMAC-SHA256 under one key) from it on.
type AuditChecker struct {
	key       *AuditKey
	last      uint64 // the last record checked
	prev      string // its hash
	keyedFrom uint64 // the first keyed record seen; 0: none yet
	keyID     string // the key ID that record carries
	broken    uint64 // the first record that does not hold, once found
}

// NewAuditChecker checks a chain with key (nil: none; then the first keyed event stops
// the check with ErrAuditKeyNeeded).
func NewAuditChecker(key *AuditKey) *AuditChecker { return &AuditChecker{key: key} }

// Last is the last event checked and found sound.
func (c *AuditChecker) Last() uint64 { return c.last }

// Tip is the hash of the last event checked.
func (c *AuditChecker) Tip() string { return c.prev }

// Broken is the first event that did not hold or could not be checked; 0 while none.
func (c *AuditChecker) Broken() uint64 { return c.broken }

// Keying is the keying the records checked so far show.
func (c *AuditChecker) Keying() AuditKeying { return AuditKeying{From: c.keyedFrom, KeyID: c.keyID} }

// Check checks the stored record v, found as event seq: it must be the event after the
// last one checked and hold. The error matches ErrAuditBroken, ErrAuditKeyNeeded or
// ErrAuditWrongKey, and Broken names the event.
func (c *AuditChecker) Check(seq uint64, v []byte) error {
	if seq != c.last+1 {
		return c.fail(c.last+1, "is missing")
	}
	var rec AuditRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return c.fail(seq, fmt.Sprintf("does not decode (%v)", err))
	}
	if rec.Seq != seq {
		return c.fail(seq, fmt.Sprintf("claims to be event %d", rec.Seq))
	}
	if rec.PrevHash != c.prev {
		return c.fail(seq, fmt.Sprintf("does not follow event %d", seq-1))
	}
	key, err := c.keyFor(seq, rec.KeyID)
	if err != nil {
		return err
	}
	canon, _, err := canonicalEvent(rec.AuditEvent)
	if err != nil {
		return c.fail(seq, fmt.Sprintf("cannot be re-encoded (%v)", err))
	}
	if linkHash(key, c.prev, canon) != rec.Hash {
		if key != nil {
			return c.fail(seq, "does not match its HMAC: it or an event before it was changed, and the chain recomputed without the key")
		}
		return c.fail(seq, "does not match its hash")
	}
	c.prev, c.last = rec.Hash, seq
	return nil
}

// keyFor is the key event seq, carrying key ID id ("" for none), is checked with: nil for
// an unkeyed event. It refuses an unkeyed event after keyed ones, a change of key, and a
// keyed event it cannot check.
func (c *AuditChecker) keyFor(seq uint64, id string) (*AuditKey, error) {
	switch {
	case id == "" && c.keyedFrom != 0:
		return nil, c.fail(seq, fmt.Sprintf("is unkeyed, but the chain is keyed from event %d: "+
			"it was written without the key, or the chain was rewritten", c.keyedFrom))
	case id == "":
		return nil, nil
	case c.keyedFrom != 0 && id != c.keyID:
		return nil, c.fail(seq, fmt.Sprintf("is keyed with key %s, but the chain is keyed with key %s from event %d",
			id, c.keyID, c.keyedFrom))
	}
	if c.keyedFrom == 0 {
		c.keyedFrom, c.keyID = seq, id
	}
	switch {
	case c.key == nil:
		c.broken = seq
		return nil, fmt.Errorf("audit event %d and every one after it are keyed (key %s): "+
			"they cannot be checked without the key; the events before event %d hold: %w", seq, id, seq, ErrAuditKeyNeeded)
	case c.key.ID() != id:
		c.broken = seq
		return nil, fmt.Errorf("audit event %d is keyed with key %s, but the key given is %s: "+
			"give the key the chain was keyed with; if it is the one given, event %d was rewritten: %w",
			seq, id, c.key.ID(), seq, ErrAuditWrongKey)
	}
	return c.key, nil
}

// Finish checks the end of the chain once every record is checked: total is how many
// events were ever appended (a counter kept apart from the records, so events cut off the
// end are found), and marker the keying the store keeps beside the chain's tip, which must
// agree with the records.
func (c *AuditChecker) Finish(total uint64, marker AuditKeying) error {
	if total > c.last {
		return c.fail(c.last+1, fmt.Sprintf("is missing, and so is every event up to %d", total))
	}
	if found := c.Keying(); marker != found {
		seq := min(nonZero(marker.From), nonZero(found.From))
		return c.fail(seq, fmt.Sprintf("is where the keying breaks: the store says the chain is keyed %s, its events say %s: "+
			"one of them was changed", describeKeying(marker), describeKeying(found)))
	}
	return nil
}

// Fail records seq as the first broken event, for a check a store makes of its own (the
// etcd head's newest hash), and returns the error matching ErrAuditBroken that says what
// is wrong with it.
func (c *AuditChecker) Fail(seq uint64, what string) error { return c.fail(seq, what) }

// fail records seq as the first broken event.
func (c *AuditChecker) fail(seq uint64, what string) error {
	c.broken = seq
	return auditBroken(seq, what)
}

// nonZero is n, or the largest number for 0, so min picks a real event.
func nonZero(n uint64) uint64 {
	if n == 0 {
		return ^uint64(0)
	}
	return n
}

// describeKeying says from where a chain is keyed, for messages.
func describeKeying(k AuditKeying) string {
	if !k.Keyed() {
		return "from no event"
	}
	return fmt.Sprintf("from event %d with key %s", k.From, k.KeyID)
}
