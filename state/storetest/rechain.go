package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/state"
)

// Rechain rewrites the audit records of the stopped bbolt database at path as someone who
// can write the file but has no audit key can: change alters each record from event from
// on, and every hash from there is recomputed as plain SHA-256 over the previous hash and
// the event's JSON. The tests of audit verify use it to forge a history.
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
			var rec state.AuditRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.Seq < from {
				prev = rec.Hash
				continue
			}
			change(&rec)
			canon, err := json.Marshal(rec.AuditEvent)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(append([]byte(prev), canon...))
			rec.PrevHash, rec.Hash = prev, hex.EncodeToString(sum[:])
			if v, err = json.Marshal(rec); err != nil {
				return err
			}
			if err := log.Put(bytes.Clone(k), v); err != nil {
				return err
			}
			prev = rec.Hash
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
