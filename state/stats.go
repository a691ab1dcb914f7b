package state

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// Stats is a summary of the database for metrics and the status page. Every number comes
// from an index or a counter, so reading it costs what the live requests cost, not what the
// whole history does.
type Stats struct {
	// Live counts the requests in each state a request can leave: pending, provisioning,
	// active and revoking.
	Live map[commands.State]int
	// Requests is how many requests were ever made: requests are never deleted, so this is
	// the last id handed out.
	Requests uint64
	// AuditEvents is the number of audit records, the last sequence number.
	AuditEvents uint64
	// Outbox is how many notifications wait for delivery.
	Outbox int
}

// Stats counts the live requests from the by_state index and reads the counters.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	st := Stats{Live: make(map[commands.State]int, len(indexedStates))}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, state := range indexedStates {
			prefix := stringPrefix(string(state))
			c := tx.Bucket(bucketByState).Cursor()
			n := 0
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
			st.Live[state] = n
		}
		st.Requests = tx.Bucket(bucketRequests).Sequence()
		st.AuditEvents = tx.Bucket(bucketAudit).Sequence()
		st.Outbox = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return st, err
}
