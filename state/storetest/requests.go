package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
)

func testCreateGetUpdate(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)

	r := NewRequest("U1")
	want := NewRequest("U1")
	id := MustCreate(t, s, r)
	if id != 1 {
		t.Fatalf("first id %s, want R1", id)
	}
	want.ID = 1
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("Get after Create (-want +got):\n%s", diff)
	}
	if id2 := MustCreate(t, s, NewRequest("U2")); id2 != 2 {
		t.Fatalf("second id %s, want R2", id2)
	}

	approved := T0.Add(time.Minute)
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
	// Another replica reads what this one wrote.
	if diff := cmp.Diff(want, MustGet(t, h.Replica(t, s), id)); diff != "" {
		t.Fatalf("Get after Update, from a replica (-want +got):\n%s", diff)
	}
}

func testNotFound(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
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

func testUpdateFnErrorWritesNothing(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	id := MustCreate(t, s, NewRequest("U1"))
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

func testUpdateRefusesIDChange(t *testing.T, h Harness) {
	s := h.Open(t)
	id := MustCreate(t, s, NewRequest("U1"))
	MustCreate(t, s, NewRequest("U2"))
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

func testCreateRefusesNUL(t *testing.T, h Harness) {
	s := h.Open(t)
	err := s.Create(context.Background(), NewRequest("U1\x00U2"), commands.Change{}, commands.CreateRules{})
	if !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("Create: got %v, want ErrInvalid", err)
	}
}

func testDeepCopy(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	r := NewRequest("U1")
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

	var kept *commands.Request
	updated, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateActive
		r.Grant = &commands.Grant{APIUserID: "api-1", ExpiresAt: T0.Add(8 * time.Hour)}
		kept = r
		return commands.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = MustGet(t, s, id)
	kept.Grant.ExpiresAt = T0.Add(100 * time.Hour)
	updated.Grant.APIUserID = "changed"
	updated.Devices[0].Tags[0] = "changed"
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("store changed through fn's or Update's request (-want +got):\n%s", diff)
	}

	// Nor do requests read through an index, read twice (a store may keep what it decoded).
	for range 2 {
		rs, err := s.InState(ctx, commands.StateActive)
		if err != nil || len(rs) != 1 {
			t.Fatalf("InState(active) = %v, %v; want the one request", rs, err)
		}
		rs[0].Grant.ExpiresAt = T0.Add(200 * time.Hour)
		rs[0].Devices[0].Tags[0] = "changed"
		rs[0].Approvals = append(rs[0].Approvals, commands.Approval{User: "U9"})
	}
	if diff := cmp.Diff(want, MustGet(t, s, id)); diff != "" {
		t.Fatalf("store changed through a request InState handed out (-want +got):\n%s", diff)
	}
}
