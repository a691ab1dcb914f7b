package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestWithdrawApproval: an approval can be taken back before its token is revealed, by an
// approver of the role or the requester; it ends with no API user ever made, its Reveal
// button stops working, and the requester is told who and why (issue 21.3).
func TestWithdrawApproval(t *testing.T) {
	ctx := context.Background()
	for _, by := range []string{ann, carol} {
		t.Run(by, func(t *testing.T) {
			e := newEnv(t)
			r := e.approved(t)
			got, err := e.svc.Revoke(ctx, r.ID, by, "approved the wrong role")
			if err != nil || got.State != commands.StateRevoked {
				t.Fatalf("got %v, %v; want revoked", got, err)
			}
			if e.datacake.Created.Load() != 0 {
				t.Fatal("withdrawing made an API user")
			}
			if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrWrongState) || !strings.Contains(err.Error(), "was already revoked") {
				t.Fatalf("Reveal after the withdrawal: got %v, want refused as revoked", err)
			}
			if _, shown := e.notifier.Token(r.ID); shown {
				t.Fatal("a token was shown")
			}
			var told string
			for _, n := range e.store.Notifications(r.ID) {
				if n.Kind == commands.NotifyRequester {
					told = n.Text
				}
			}
			if !strings.Contains(told, "approved the wrong role") || (by == ann && !strings.Contains(told, commands.Mention(ann))) {
				t.Fatalf("the requester was told %q, want who and why", told)
			}
			if acts := strings.Join(e.store.AuditActions(r.ID), ","); !strings.HasSuffix(acts, "withdrawn") {
				t.Fatalf("audit %s, want withdrawn", acts)
			}
		})
	}
	t.Run("ErrNotAllowed", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		if _, err := e.svc.Revoke(ctx, r.ID, dave, "mine now"); !errors.Is(err, commands.ErrNotAllowed) {
			t.Fatalf("got %v, want not allowed", err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateApproved {
			t.Fatalf("got %s, want still approved", got.State)
		}
	})
	t.Run("WhileTheTokenIsMade", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		e.datacake.OnCreate = func() {
			e.datacake.OnCreate = nil
			if got, err := e.svc.Revoke(ctx, r.ID, ann, "stop"); err != nil || got.State != commands.StateProvisioning || !got.Halted {
				t.Errorf("revoke during the reveal: got %v, %v; want it halted", got, err)
			}
		}
		if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); err == nil {
			t.Fatal("the reveal succeeded after the approval was withdrawn")
		}
		if _, shown := e.notifier.Token(r.ID); shown || e.datacake.Count() != 0 {
			t.Fatalf("token shown %v, %d API users; want neither", shown, e.datacake.Count())
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoked || got.DecidedBy != ann {
			t.Fatalf("got %s by %s, want revoked by ann", got.State, got.DecidedBy)
		}
	})
	t.Run("CancelPointsApproversToRevoke", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		_, err := e.svc.Cancel(ctx, r.ID, ann)
		if err == nil || !strings.Contains(err.Error(), "/cakegate revoke "+r.ID.String()) {
			t.Fatalf("got %v, want it to point at revoke", err)
		}
		_, err = e.svc.Deny(ctx, r.ID, ann, "")
		if err == nil || !strings.Contains(err.Error(), "/cakegate revoke "+r.ID.String()) {
			t.Fatalf("got %v, want it to point at revoke", err)
		}
	})
}
