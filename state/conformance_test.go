package state_test

import (
	"testing"

	"github.com/cakegate/cakegate/state/storetest"
)

// TestConformance runs the suite every cakegate store passes, the etcd store too.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) storetest.Store { return MustOpen(t) },
		// bbolt lets one process hold the file: every handle is the store itself.
		Replica: func(_ *testing.T, s storetest.Store) storetest.Store { return s },
	})
}
