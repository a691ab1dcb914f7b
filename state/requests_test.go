package state_test

import (
	"context"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/storetest"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The store tests' request, time and helpers are the conformance suite's.
var (
	t0         = storetest.T0
	newRequest = storetest.NewRequest
	MustCreate = storetest.MustCreate
	MustUpdate = storetest.MustUpdate
	MustGet    = storetest.MustGet
	ids        = storetest.IDs
)

// equateEmpty treats a nil id list like an empty one.
var equateEmpty = cmpopts.EquateEmpty()

// MustUpdateChange writes c with request id left as it is.
func MustUpdateChange(tb testing.TB, s *state.Store, id commands.RequestID, c commands.Change) {
	tb.Helper()
	_, err := s.Update(context.Background(), id, func(*commands.Request) (commands.Change, error) { return c, nil })
	if err != nil {
		tb.Fatalf("Update %s: %v", id, err)
	}
}
