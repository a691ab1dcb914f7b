package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// t0 is the tests' "now"; the store never reads the clock, so any fixed time will do.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// newRequest is a pending viewer request by user, with every slice filled so that a copy
// that shares memory would be noticed.
func newRequest(user string) *commands.Request {
	return &commands.Request{
		Requester:            user,
		Workspace:            "ws-1",
		Role:                 "viewer",
		WorkspacePermissions: []string{"devices"},
		DevicePermissions:    []string{"edit_basics"},
		Devices:              []commands.Device{{ID: "d1", Name: "Cellar", Serial: "S1", Tags: []string{"field"}}},
		Duration:             8 * time.Hour,
		Reason:               "debug the cellar sensor",
		State:                commands.StatePending,
		CreatedAt:            t0,
		UpdatedAt:            t0,
		ApprovalsNeeded:      1,
	}
}

// MustCreate stores r with an audit event, and returns its id.
func MustCreate(tb testing.TB, s commands.Store, r *commands.Request) commands.RequestID {
	tb.Helper()
	c := commands.Change{Audit: []commands.AuditEvent{{At: r.CreatedAt, Actor: r.Requester, Action: "request", To: r.State}}}
	if err := s.Create(context.Background(), r, c); err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return r.ID
}

// MustUpdate applies fn to request id and fails the test on any error.
func MustUpdate(tb testing.TB, s commands.Store, id commands.RequestID, fn func(r *commands.Request)) *commands.Request {
	tb.Helper()
	r, err := s.Update(context.Background(), id, func(r *commands.Request) (commands.Change, error) {
		from := r.State
		fn(r)
		return commands.Change{Audit: []commands.AuditEvent{{At: t0, Actor: "U0", Action: "test", From: from, To: r.State}}}, nil
	})
	if err != nil {
		tb.Fatalf("Update %s: %v", id, err)
	}
	return r
}

// MustGet returns request id.
func MustGet(tb testing.TB, s commands.Store, id commands.RequestID) *commands.Request {
	tb.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get %s: %v", id, err)
	}
	return r
}

// ids lists the ids of rs in order.
func ids(rs []*commands.Request) []commands.RequestID {
	out := make([]commands.RequestID, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

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
