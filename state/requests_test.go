package state_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
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

func TestCreateGetUpdate(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)

	r := newRequest("U1")
	want := newRequest("U1")
	id := MustCreate(t, s, r)
	if id != 1 {
		t.Fatalf("first id %s, want R1", id)
	}
	want.ID = 1
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("Get after Create (-want +got):\n%s", diff)
	}
	if id2 := MustCreate(t, s, newRequest("U2")); id2 != 2 {
		t.Fatalf("second id %s, want R2", id2)
	}

	approved := t0.Add(time.Minute)
	got, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		r.Approvals = append(r.Approvals, commands.Approval{User: "U9", At: approved})
		r.State = commands.StateProvisioning
		r.UpdatedAt = approved
		return commands.Change{}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want.Approvals = []commands.Approval{{User: "U9", At: approved}}
	want.State = commands.StateProvisioning
	want.UpdatedAt = approved
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Update result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("Get after Update (-want +got):\n%s", diff)
	}

	// A reopened file holds the same request.
	MustClose(t, s)
	s = MustOpenAt(t, s.Path())
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("Get after reopen (-want +got):\n%s", diff)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	_, err := s.Get(ctx, 99)
	if !errors.Is(err, commands.ErrNotFound) || !strings.Contains(err.Error(), "R99") {
		t.Fatalf("Get R99: got %v, want ErrNotFound naming R99", err)
	}
	called := false
	_, err = s.Update(ctx, 99, func(*commands.Request) (commands.Change, error) {
		called = true
		return commands.Change{}, nil
	})
	if !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("Update R99: got %v, want ErrNotFound", err)
	}
	if called {
		t.Fatal("Update called fn for a missing request")
	}
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	id := MustCreate(t, s, newRequest("U1"))
	before := MustGet(t, s, id)

	errNo := commands.Errorf(commands.CodeWrongState, "R1 is not active")
	got, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateDenied
		r.Reason = "changed"
		return commands.Change{
			Audit:  []commands.AuditEvent{{Action: "deny"}},
			Outbox: []commands.Notification{{Kind: commands.NotifyRequester, Text: "denied"}},
		}, errNo
	})
	if err != errNo {
		t.Fatalf("Update: got error %v, want fn's error itself", err)
	}
	if got != nil {
		t.Fatalf("Update returned a request with an error: %+v", got)
	}
	if diff := cmp.Diff(before, MustGet(t, s, id)); diff != "" {
		t.Fatalf("request changed by a failed Update (-before +after):\n%s", diff)
	}
	pending, err := s.InState(ctx, commands.StatePending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("InState(pending) after failed Update: %d requests, %v; want 1", len(pending), err)
	}
	assertAuditAndOutbox(t, s, 1, 0)
}

func TestUpdateRefusesIDChange(t *testing.T) {
	s := MustOpen(t)
	id := MustCreate(t, s, newRequest("U1"))
	MustCreate(t, s, newRequest("U2"))
	_, err := s.Update(context.Background(), id, func(r *commands.Request) (commands.Change, error) {
		r.ID = 2
		return commands.Change{}, nil
	})
	if err == nil {
		t.Fatal("Update let fn move R1 onto R2")
	}
	if got := MustGet(t, s, 2).Requester; got != "U2" {
		t.Fatalf("R2 requester %q after refused Update, want U2", got)
	}
}

func TestCreateRefusesNULInRequester(t *testing.T) {
	s := MustOpen(t)
	err := s.Create(context.Background(), newRequest("U1\x00U2"), commands.Change{})
	if !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("Create: got %v, want ErrInvalid", err)
	}
}

func TestDeepCopy(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	r := newRequest("U1")
	id := MustCreate(t, s, r)
	want := MustGet(t, s, id)

	// Neither the request given to Create nor one returned later shares memory with the store.
	r.Devices[0].Tags[0] = "changed"
	r.WorkspacePermissions[0] = "changed"
	got := MustGet(t, s, id)
	got.Devices[0].Name = "changed"
	got.DevicePermissions[0] = "changed"
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("store changed through a request it handed out (-want +got):\n%s", diff)
	}

	// Nor does the request fn was given, kept past Update, or the one Update returned.
	var kept *commands.Request
	updated, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateActive
		r.Grant = &commands.Grant{APIUserID: "api-1", ExpiresAt: t0.Add(8 * time.Hour)}
		kept = r
		return commands.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = MustGet(t, s, id)
	kept.Grant.ExpiresAt = t0.Add(100 * time.Hour)
	updated.Grant.APIUserID = "changed"
	updated.Devices[0].Tags[0] = "changed"
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("store changed through fn's or Update's request (-want +got):\n%s", diff)
	}
}

// TestConcurrentCompareAndSet has 50 approvers click at once: fn checks the state, so exactly
// one click moves the request on and every other sees it moved.
func TestConcurrentCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	id := MustCreate(t, s, newRequest("U1"))

	const clicks = 50
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, clicks)
	)
	for range clicks {
		wg.Go(func() {
			<-start
			_, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
				if r.State != commands.StatePending {
					return commands.Change{}, commands.Errorf(commands.CodeWrongState, "%s is %s", r.ID, r.State)
				}
				r.State = commands.StateProvisioning
				return commands.Change{Audit: []commands.AuditEvent{{Action: "approve", From: commands.StatePending, To: r.State}}}, nil
			})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)

	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, commands.ErrWrongState):
			t.Errorf("Update: unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d Updates moved the request from pending, want exactly 1", ok)
	}
	if st := MustGet(t, s, id).State; st != commands.StateProvisioning {
		t.Fatalf("state %s, want provisioning", st)
	}
	assertAuditAndOutbox(t, s, 2, 0) // the create and the one approval
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

// assertAuditAndOutbox checks how many audit records and queued notifications s holds.
func assertAuditAndOutbox(tb testing.TB, s *state.Store, audit, outbox int) {
	tb.Helper()
	ctx := context.Background()
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		tb.Fatalf("AuditEvents: %v", err)
	}
	depth, err := s.OutboxDepth(ctx)
	if err != nil {
		tb.Fatalf("OutboxDepth: %v", err)
	}
	if len(recs) != audit || depth != outbox {
		tb.Fatalf("%d audit records and %d notifications, want %d and %d", len(recs), depth, audit, outbox)
	}
}
