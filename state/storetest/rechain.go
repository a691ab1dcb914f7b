package storetest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/state"
)

// Rechain rewrites the audit records of the stopped bbolt database at path as someone who
// can write the file but has no audit key can: change alters each record from event from
// on, and every record from there is chained again without a key (plain SHA-256), its key
// id left as the record has it. The tests of audit verify use it to forge a history.
func Rechain(tb testing.TB, path string, from uint64, change func(rec *state.AuditRecord)) {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		log := tx.Bucket([]byte("audit"))
		prev := ""
		c := log.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := state.DecodeAudit(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			if rec.Seq < from {
				prev = rec.Hash
				continue
			}
			change(&rec)
			forged, v, err := chainUnkeyed(prev, rec)
			if err != nil {
				return err
			}
			if err := log.Put(bytes.Clone(k), v); err != nil {
				return err
			}
			prev = forged.Hash
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// chainUnkeyed returns rec chained after prev as a forger without the audit key can: by
// the store's own rule for an unkeyed record, with rec's key id kept, since the forger
// means the record to pass for what it was.
func chainUnkeyed(prev string, rec state.AuditRecord) (state.AuditRecord, []byte, error) {
	forged, _, err := state.ChainAudit(nil, prev, rec.Seq, rec.AuditEvent)
	if err != nil {
		return forged, nil, err
	}
	forged.KeyID = rec.KeyID
	v, err := state.EncodeAuditRecord(forged)
	return forged, v, err
}
