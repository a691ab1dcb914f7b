package etcdstore

import (
	"encoding/json"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// head holds what every write allocates from: the last request id, audit sequence number
// and notification id handed out, and the newest audit record's hash, which the next record
// chains to. It is one key, advanced by compare-and-set on its ModRevision in the
// transaction that uses what it hands out, so ids are never reused and the chain never
// forks, whatever replica writes.
type head struct {
	Requests      uint64 `json:"requests"`
	Audit         uint64 `json:"audit"`
	AuditHash     string `json:"audit_hash"`
	Notifications uint64 `json:"notifications"`
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
