package state

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// markTokenDMs (schema version 3) marks every live grant made before Reveal existed: its
// token was posted in a direct message, which stays in Slack's history. Marked grants have
// that message edited when they end, so the token no longer shows (commands.NotifyScrubTokenDM).
// Only the live states are visited, through by_state: an ended grant's token no longer works.
func markTokenDMs(tx *bbolt.Tx, _ *options) error {
	byState := tx.Bucket(bucketByState)
	for _, s := range []commands.State{commands.StateProvisioning, commands.StateActive, commands.StateRevoking} {
		prefix := stringPrefix(string(s))
		var ids []commands.RequestID
		c := byState.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, commands.RequestID(idOf(k)))
		}
		for _, id := range ids {
			r, err := getRequest(tx, nil, id)
			if err != nil {
				return fmt.Errorf("read %s: %w", id, err)
			}
			if r.Grant == nil || r.TokenInDM {
				continue
			}
			r.TokenInDM = true
			if r.RevealedAt.IsZero() {
				// Its clock started when it was provisioned: a re-issue keeps its end.
				r.RevealedAt = r.Grant.CreatedAt
			}
			// Written as new (old nil), so every index key it should have is put: until
			// schema 3 a provisioning request with a grant was not in by_expiry, and
			// diffing against the stored row with today's rules would not add it.
			if err := putRequest(tx, nil, r); err != nil {
				return fmt.Errorf("mark %s: %w", id, err)
			}
		}
	}
	return nil
}
