package state

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// indexedStates are the states a request can still leave. Only these are in by_state: the
// sweeps and the approvers' queue ask about them, and final requests, which are nearly all
// of a long-lived database, would only make the index bigger.
var indexedStates = []commands.State{
	commands.StatePending, commands.StateApproved, commands.StateProvisioning, commands.StateActive, commands.StateRevoking,
}

// indexKey is one entry a request has in one index bucket.
type indexKey struct {
	bucket []byte
	key    []byte
}

// indexKeys lists every index entry r should have. Writing is driven entirely by this
// function, so the indexes hold exactly what it says and nothing else:
//   - by_user: every request, under its requester;
//   - by_state: requests in an indexed state;
//   - by_expiry: active, revoking and provisioning requests with a grant, under the
//     grant's expiry (a provisioning request's grant is recorded before its token leaves,
//     so it must end on time even if it is never marked active);
//   - pending_by_user: pending requests, under their requester, so that Create counts one
//     person's pending requests without reading anyone else's.
func indexKeys(r *commands.Request) []indexKey {
	if r == nil {
		return nil
	}
	id := uint64(r.ID)
	keys := []indexKey{{bucketByUser, stringIDKey(r.Requester, id)}}
	if InStateIndex(r.State) {
		keys = append(keys, indexKey{bucketByState, stringIDKey(string(r.State), id)})
	}
	if r.State == commands.StatePending {
		keys = append(keys, indexKey{bucketPendingByUser, stringIDKey(r.Requester, id)})
	}
	if InExpiryIndex(r) {
		keys = append(keys, indexKey{bucketByExpiry, timeIDKey(r.Grant.ExpiresAt, id)})
	}
	return keys
}

// reindex moves the index entries of a request from what old had to what r has: entries
// only old had are deleted, entries only r has are added, shared ones are left alone. old
// is nil for a new request. It must run in the transaction that writes r.
func reindex(tx *bbolt.Tx, old, r *commands.Request) error {
	before, after := indexKeys(old), indexKeys(r)
	for _, k := range before {
		if containsKey(after, k) {
			continue
		}
		if err := tx.Bucket(k.bucket).Delete(k.key); err != nil {
			return fmt.Errorf("unindex %s in %s: %w", old.ID, k.bucket, err)
		}
	}
	for _, k := range after {
		if containsKey(before, k) {
			continue
		}
		if err := tx.Bucket(k.bucket).Put(k.key, []byte{}); err != nil {
			return fmt.Errorf("index %s in %s: %w", r.ID, k.bucket, err)
		}
	}
	return nil
}

// containsKey reports whether keys holds k. A request has at most three keys, so a linear
// search beats building a set.
func containsKey(keys []indexKey, k indexKey) bool {
	for _, o := range keys {
		if bytes.Equal(o.bucket, k.bucket) && bytes.Equal(o.key, k.key) {
			return true
		}
	}
	return false
}
