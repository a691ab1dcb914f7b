package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestLifetimeCountsFromTheFirstReveal: a re-issue makes a new API user, not a new grant. A
// 7-day role revealed for 3 days, re-issued on day 2 and extended, may reach 7 days from
// its first reveal, never 7 days from the re-issue (issue 21.4).
func TestLifetimeCountsFromTheFirstReveal(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"ExtendWithoutApproval", "ApprovedExtension"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			viewer := e.svc.Policy.Roles["viewer"] // 7d at most
			viewer.ExtendWithoutApproval = how == "ExtendWithoutApproval"
			r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 3 * 24 * time.Hour})
			if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
				t.Fatal(err)
			}
			first := e.reveal(t, r.ID)
			e.clock.Advance(2 * 24 * time.Hour)
			if _, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.Extend(ctx, r.ID, carol, 5*24*time.Hour)
			if !errors.Is(err, commands.ErrTooLong) || !strings.Contains(err.Error(), "by at most 4d") {
				t.Fatalf("extending by 5d after a re-issue on day 2: got %v, want refused, 4d at most", err)
			}
			got, err := e.svc.Extend(ctx, r.ID, carol, 4*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if !viewer.ExtendWithoutApproval {
				if got, err = e.svc.Approve(ctx, r.ID, ann); err != nil {
					t.Fatal(err)
				}
			}
			if life := got.Grant.ExpiresAt.Sub(first.Grant.CreatedAt); life != viewer.MaxDuration {
				t.Fatalf("the grant lives %v from its first reveal, want the role's %v", life, viewer.MaxDuration)
			}
		})
	}
}

// TestLifetimeOfATokenShownThenTakenOver: the token was shown, but the write marking the
// request active failed; reconcile deletes the API user and lets its requester reveal
// again. The token that left started the grant's clock: revealing again keeps its end, and
// an extension counts from it (a bug the simulation found, seed 22). The requester is
// told the token they may have seen no longer works.
func TestLifetimeOfATokenShownThenTakenOver(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.Roles["viewer"].ExtendWithoutApproval = true
	first := stuckAfterDelivery(t, e)
	e.clock.Advance(commands.ProvisionLease)
	if res, _ := e.svc.Reconcile(ctx); res.Reopened != 1 {
		t.Fatalf("got %+v, want it taken over", res)
	}
	// The token reached the screen: the requester is not told they could not see it.
	e.wantRequesterTold(t, first.ID, "if it was shown to you, it no longer works")
	for _, n := range e.store.Notifications(first.ID) {
		if strings.Contains(n.Text, "before you could see it") {
			t.Errorf("the requester of a token that was shown is told %q", n.Text)
		}
	}
	e.clock.Advance(2 * time.Hour)
	again := e.reveal(t, first.ID)
	if !again.Grant.ExpiresAt.Equal(first.Grant.ExpiresAt) {
		t.Fatalf("revealing again after a token was shown moved the end from %v to %v", first.Grant.ExpiresAt, again.Grant.ExpiresAt)
	}
	room := e.svc.Policy.Roles["viewer"].MaxDuration - first.Duration
	if _, err := e.svc.Extend(ctx, first.ID, carol, room+time.Hour); !errors.Is(err, commands.ErrTooLong) {
		t.Fatalf("extending past the role's max from the first token: got %v, want too long", err)
	}
	got, err := e.svc.Extend(ctx, first.ID, carol, room)
	if err != nil {
		t.Fatal(err)
	}
	if life := got.Grant.ExpiresAt.Sub(first.Grant.CreatedAt); life != e.svc.Policy.Roles["viewer"].MaxDuration {
		t.Fatalf("the grant lives %v from the first token, want the role's max", life)
	}
}
