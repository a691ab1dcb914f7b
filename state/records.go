package state

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cakegate/cakegate/commands"
)

// The records every cakegate store keeps, and the rules for indexing them. The bbolt store
// here and the etcd store (state/etcdstore) both write requests, notifications and audit
// records through these functions, so a value means the same in either and a migration
// copies records without translating them.

// EncodeRequest is the stored form of a request.
func EncodeRequest(r *commands.Request) ([]byte, error) {
	v, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return v, nil
}

// DecodeRequest reads a request stored by EncodeRequest; id names it in the error.
func DecodeRequest(id commands.RequestID, v []byte) (*commands.Request, error) {
	var r commands.Request
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	return &r, nil
}

// EncodeNotification is the stored form of a notification.
func EncodeNotification(n commands.Notification) ([]byte, error) {
	v, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode notification %d: %w", n.ID, err)
	}
	return v, nil
}

// DecodeNotification reads a notification stored by EncodeNotification.
func DecodeNotification(id uint64, v []byte) (commands.Notification, error) {
	var n commands.Notification
	if err := json.Unmarshal(v, &n); err != nil {
		return n, fmt.Errorf("decode notification %d: %w", id, err)
	}
	return n, nil
}

// ChainAudit makes the record of event e, which becomes audit event seq and follows the
// record whose hash is prevHash ("" for the first), and returns it with its stored form.
// With a key (not nil) the record is keyed: its hash is an HMAC under the key and it
// carries the key's ID.
func ChainAudit(key *AuditKey, prevHash string, seq uint64, e commands.AuditEvent) (AuditRecord, []byte, error) {
	e.Seq = seq
	canon, e, err := canonicalEvent(e)
	if err != nil {
		return AuditRecord{}, nil, err
	}
	rec := AuditRecord{AuditEvent: e, PrevHash: prevHash, Hash: linkHash(key, prevHash, canon)}
	if key != nil {
		rec.KeyID = key.ID()
	}
	v, err := EncodeAuditRecord(rec)
	return rec, v, err
}

// DecodeAudit reads an audit record stored by ChainAudit; seq names it in the error.
func DecodeAudit(seq uint64, v []byte) (AuditRecord, error) {
	var rec AuditRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, fmt.Errorf("decode audit event %d: %w", seq, err)
	}
	return rec, nil
}

// auditBroken says that event seq breaks the chain.
func auditBroken(seq uint64, what string) error {
	return fmt.Errorf("audit event %d %s: %w", seq, what, ErrAuditBroken)
}

// InStateIndex reports whether requests in state s are kept in the state index: only the
// states a request can still leave are, since final requests, nearly all of a long-lived
// store, would only make the index bigger.
func InStateIndex(s commands.State) bool { return slices.Contains(indexedStates, s) }

// IndexedStates lists the states in the state index, in the order of a request's life.
func IndexedStates() []commands.State { return slices.Clone(indexedStates) }

// InExpiryIndex reports whether r is kept in the expiry index, under its grant's end:
// active, revoking and provisioning requests with a grant (a provisioning request's grant
// is recorded before its token leaves, so it must end on time even if it is never marked
// active).
func InExpiryIndex(r *commands.Request) bool {
	return r.Grant != nil &&
		(r.State == commands.StateActive || r.State == commands.StateRevoking || r.State == commands.StateProvisioning)
}

// NewInstallationID makes a random installation id (see Store.Installation).
func NewInstallationID() (string, error) { return newInstallationID() }

// EncodeAuditRecord is the stored form of an audit record that already has its place in
// the chain: a migration copies records as they are, links and all.
func EncodeAuditRecord(rec AuditRecord) ([]byte, error) {
	v, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode audit event %d: %w", rec.Seq, err)
	}
	return v, nil
}
