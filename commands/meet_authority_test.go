package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// escalatedTo marks request id as escalated to users, as the escalation sweep does.
func (e *env) escalatedTo(t *testing.T, id commands.RequestID, users ...string) {
	t.Helper()
	_, err := e.store.Update(context.Background(), id, func(r *commands.Request) (commands.Change, error) {
		r.Escalation.Rounds, r.Escalation.To = 3, users
		return commands.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuthorityFromThePolicyInForce: who may approve, deny, revoke or approve an extension
// is decided at that moment from the policy in force, never from a list frozen into the
// request; and a requester the policy no longer lets ask gets nothing more (issue 21.2).
func TestAuthorityFromThePolicyInForce(t *testing.T) {
	ctx := context.Background()
	viewerRequest := commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}}

	t.Run("EscalatedPersonDroppedByThePolicy", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.Roles["viewer"].EscalateTo = []string{dave}
		r := e.request(t, viewerRequest)
		e.escalatedTo(t, r.ID, dave)
		e.svc.Policy.Roles["viewer"].EscalateTo = nil // the operator drops dave
		for name, decide := range map[string]func() error{
			"approve": func() error { _, err := e.svc.Approve(ctx, r.ID, dave); return err },
			"deny":    func() error { _, err := e.svc.Deny(ctx, r.ID, dave, ""); return err },
		} {
			if err := decide(); !errors.Is(err, commands.ErrNotApprover) {
				t.Errorf("%s by a dropped escalation: got %v, want refused", name, err)
			}
		}
		if list, _ := e.svc.Pending(ctx, dave); len(list) != 0 {
			t.Errorf("dave's queue still shows %d request(s)", len(list))
		}
	})

	t.Run("EscalationDecidesOnlyTheRequest", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.Roles["viewer"].EscalateTo = []string{dave}
		r := e.request(t, viewerRequest)
		e.escalatedTo(t, r.ID, dave)
		if _, err := e.svc.Approve(ctx, r.ID, dave); err != nil {
			t.Fatalf("approve by the escalated dave: %v", err)
		}
		e.reveal(t, r.ID)
		if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Approve(ctx, r.ID, dave); !errors.Is(err, commands.ErrNotApprover) {
			t.Errorf("dave approving the extension: got %v, want refused", err)
		}
		if _, err := e.svc.Revoke(ctx, r.ID, dave, ""); !errors.Is(err, commands.ErrNotAllowed) {
			t.Errorf("dave revoking the grant: got %v, want refused", err)
		}
	})

	t.Run("ApprovalOfAFormerApproverDoesNotCount", func(t *testing.T) {
		e := newEnv(t)
		r := e.request(t, commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1"}})
		if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		e.svc.Policy.Roles["device-editor"].Approvers = []string{bob, "SOPS"} // ann is out
		got, err := e.svc.Approve(ctx, r.ID, bob)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != commands.StatePending || !slices.Equal(got.Approvers(), []string{bob}) {
			t.Fatalf("got %s approved by %v, want pending with bob's approval alone", got.State, got.Approvers())
		}
		if got, _ = e.svc.Approve(ctx, r.ID, dave); got.State != commands.StateApproved {
			t.Fatalf("two approvers of the policy in force: got %s, want approved", got.State)
		}
	})

	dropCarol := func(e *env) {
		e.svc.Policy.Requesters = slices.DeleteFunc(e.svc.Policy.Requesters, func(u string) bool { return u == carol })
	}
	told := func(e *env, id commands.RequestID) string {
		var text string
		for _, n := range e.store.Notifications(id) {
			if n.Kind == commands.NotifyRequester {
				text = n.Text
			}
		}
		return text
	}
	t.Run("RequesterDroppedWhilePending", func(t *testing.T) {
		e := newEnv(t)
		r := e.request(t, viewerRequest)
		dropCarol(e)
		if _, err := e.svc.Approve(ctx, r.ID, ann); !errors.Is(err, commands.ErrWrongState) {
			t.Fatalf("approving a request of a dropped requester: got %v, want refused", err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateCancelled {
			t.Fatalf("got %s, want cancelled", got.State)
		}
		if text := told(e, r.ID); !strings.Contains(text, "no longer lets") {
			t.Fatalf("the requester was told %q", text)
		}
	})
	t.Run("RequesterDroppedWhileApproved", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		dropCarol(e)
		if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); err == nil {
			t.Fatal("a dropped requester revealed a token")
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateLapsed || e.datacake.Created.Load() != 0 {
			t.Fatalf("got %s with %d API users made, want lapsed with none", got.State, e.datacake.Created.Load())
		}
		if text := told(e, r.ID); !strings.Contains(text, "lapsed") {
			t.Fatalf("the requester was told %q", text)
		}
	})
	t.Run("RequesterDroppedWhileActive", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		dropCarol(e)
		if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); !errors.Is(err, commands.ErrNotAllowed) {
			t.Errorf("extend: got %v, want refused", err)
		}
		if _, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrNotAllowed) {
			t.Errorf("re-issue: got %v, want refused", err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("got %s ending %v, want active with its end", got.State, got.Grant.ExpiresAt)
		}
	})
}
