package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// Point 4 of issue 11: a request the current policy no longer allows is not granted.
func TestPolicyChangeStopsPendingRequests(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		role   string
		change func(p *commands.Policy)
		why    string
	}{
		{"RoleRemoved", "viewer", func(p *commands.Policy) { delete(p.Roles, "viewer") }, "role viewer is no longer in cakegate's policy"},
		{"PermissionRemoved", "device-editor", func(p *commands.Policy) { p.Roles["device-editor"].DevicePermissions = []string{"edit_basics"} }, "no longer grants the device permission record_measurements"},
		{"DevicesNarrowed", "field", func(p *commands.Policy) { p.Roles["field"].Devices = commands.DeviceScope{Tags: []string{"lab"}} }, "no longer covers the device Boiler"},
		{"MaxDurationLowered", "viewer", func(p *commands.Policy) { p.Roles["viewer"].MaxDuration = 4 * time.Hour }, "now allows at most 4h, less than the 8h asked for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, when := range []string{"AtDecision", "AtStart"} {
				t.Run(when, func(t *testing.T) {
					e := newEnv(t)
					r := e.request(t, commands.RequestInput{Requester: carol, Role: tc.role, Devices: []string{"SN1"}, Duration: 8 * time.Hour})
					tc.change(e.svc.Policy)
					if when == "AtStart" {
						if res, err := e.svc.Reconcile(ctx); err != nil || res.Dropped != 1 {
							t.Fatalf("Reconcile: %+v %v, want one dropped", res, err)
						}
					} else {
						_, err := e.svc.Approve(ctx, r.ID, ann)
						if err == nil || !strings.Contains(err.Error(), tc.why) {
							t.Fatalf("Approve: %v, want it refused because %s", err, tc.why)
						}
					}
					got, _ := e.store.Get(ctx, r.ID)
					if got.State != commands.StateCancelled || e.datacake.Created.Load() != 0 {
						t.Fatalf("got %s with %d API users created, want cancelled and none", got.State, e.datacake.Created.Load())
					}
					e.wantRequesterTold(t, r.ID, tc.why)
					if !e.approversTold(r.ID, "cakegate cancelled "+r.ID.String()) {
						t.Error("the approvals channel was not told")
					}
				})
			}
		})
	}
}

// Nobody approves, or denies, for a role that has left the policy: not the top-level
// approvers either.
func TestRemovedRoleHasNoApprovers(t *testing.T) {
	e := newEnv(t)
	if ok, err := e.svc.Approves(context.Background(), ann, "no-such-role"); ok || err != nil {
		t.Fatalf("Approves(ann, removed role) = %v, %v; want false", ok, err)
	}
	// Nor is its pending request in anybody's queue, where a click would only be refused.
	e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	delete(e.svc.Policy.Roles, "viewer")
	if queue, err := e.svc.Pending(context.Background(), ann); err != nil || len(queue) != 0 {
		t.Fatalf("Pending(ann) = %v, %v; want nothing of the removed role", queue, err)
	}
}

// An active grant whose role changed keeps its end but cannot be extended, and an extension
// already waiting is refused rather than approved with the old role's rules.
func TestPolicyChangeStopsExtensions(t *testing.T) {
	ctx := context.Background()
	t.Run("Extend", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		delete(e.svc.Policy.Roles, "viewer")
		if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); !errors.Is(err, commands.ErrNotAllowed) {
			t.Fatalf("Extend: %v, want not allowed", err)
		}
		if _, _, _, err := e.svc.ExtensionRoom(ctx, r.ID, carol); !errors.Is(err, commands.ErrNotAllowed) {
			t.Fatalf("ExtensionRoom: %v, want not allowed", err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("got %s until %v, want active with its end kept", got.State, got.Grant.ExpiresAt)
		}
	})
	t.Run("WaitingExtension", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); err != nil {
			t.Fatal(err)
		}
		delete(e.svc.Policy.Roles, "viewer")
		if _, err := e.svc.Approve(ctx, r.ID, ann); err == nil {
			t.Fatal("an extension for a removed role was approved")
		}
		got, _ := e.store.Get(ctx, r.ID)
		if got.State != commands.StateActive || got.Extension != nil || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("got %s until %v with extension %v; want active, same end, extension gone", got.State, got.Grant.ExpiresAt, got.Extension)
		}
		e.wantRequesterTold(t, r.ID, "cannot be extended")
	})
}

// approversTold reports whether the approvals channel was sent text about id.
func (e *env) approversTold(id commands.RequestID, text string) bool {
	for _, n := range e.store.Notifications(id) {
		if n.Kind == commands.NotifyApprovers && strings.Contains(n.Text, text) {
			return true
		}
	}
	return false
}
