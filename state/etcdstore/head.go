package etcdstore

import (
	"encoding/json"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/cakegate/cakegate/state"
)

// head holds what every write allocates from: the last request id, audit sequence number
// and notification id handed out, the newest audit record's hash, which the next record
// chains to, and from which event the chain is keyed and with which key. It is one key,
// advanced by compare-and-set on its ModRevision in the transaction that uses what it hands
// out, so ids are never reused and the chain never forks, whatever replica writes.
type head struct {
	Requests      uint64 `json:"requests"`
	Audit         uint64 `json:"audit"`
	AuditHash     string `json:"audit_hash"`
	Notifications uint64 `json:"notifications"`
	// AuditKeyedFrom is the first keyed audit event and AuditKeyID its key's ID; 0 and ""
	// while the chain is unkeyed. KeyAudit sets them with that event, and nothing after.
	AuditKeyedFrom uint64 `json:"audit_keyed_from,omitempty"`
	AuditKeyID     string `json:"audit_key_id,omitempty"`
}

// keying is the chain's keying as the head records it.
func (h head) keying() state.AuditKeying {
	return state.AuditKeying{From: h.AuditKeyedFrom, KeyID: h.AuditKeyID}
}

func encodeHead(h head) ([]byte, error) {
	v, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode head: %w", err)
	}
	return v, nil
}

// readHead decodes the head from a Get's result, with its ModRevision for the
// compare-and-set.
func readHead(r *pb.ResponseOp) (head, int64, error) {
	kvs := r.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return head{}, 0, fmt.Errorf("the etcd store has no head key: it was not created by cakegate, or was damaged")
	}
	h, err := decodeHead(kvs[0].Value)
	return h, kvs[0].ModRevision, err
}

// decodeHead decodes a head's value.
func decodeHead(v []byte) (head, error) {
	var h head
	if err := json.Unmarshal(v, &h); err != nil {
		return head{}, fmt.Errorf("decode head: %w", err)
	}
	return h, nil
}
