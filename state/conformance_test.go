package state_test

import (
	"testing"

	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/storetest"
)

// TestConformance runs the suite every cakegate store passes, the etcd store too.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) storetest.Store { return MustOpen(t) },
		// bbolt lets one process hold the file: every handle is the store itself.
		Replica: func(_ *testing.T, s storetest.Store) storetest.Store { return s },
		// One process holds the file: another key means closing it and opening it again.
		WithKey: func(t *testing.T, s storetest.Store, key *state.AuditKey) storetest.Store {
			MustClose(t, s.(*state.Store))
			return MustOpenAt(t, s.(*state.Store).Path(), state.WithAuditKey(key))
		},
		RewriteAudit: func(t *testing.T, s storetest.Store, seq uint64, v []byte) {
			state.RewriteAudit(t, s.(*state.Store), seq, v)
		},
	})
}
