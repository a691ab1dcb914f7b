package state

import (
	"context"

	"go.etcd.io/bbolt"
)

// CheckWritable reports whether the database takes a write: an empty read-write
// transaction commits (bbolt writes and syncs its meta page), so a closed database, a
// read-only file or a failing disk shows up here before a user's request finds it.
func (s *Store) CheckWritable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Through the write hook like every other write, so a simulated full disk shows here too.
	return s.update(ctx, "check_writable", func(*bbolt.Tx) error { return nil })
}
