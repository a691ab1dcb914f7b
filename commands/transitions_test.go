package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

var allStates = []commands.State{
	commands.StatePending, commands.StateProvisioning, commands.StateActive, commands.StateRevoking,
	commands.StateExpired, commands.StateRevoked, commands.StateDenied, commands.StateCancelled,
	commands.StateTimedOut, commands.StateFailed, commands.StateApproved, commands.StateLapsed,
}

func TestCanTransition(t *testing.T) {
	allowed := map[string]bool{
		"pending→approved": true, "pending→denied": true, "pending→cancelled": true, "pending→timed_out": true,
		"approved→provisioning": true, "approved→lapsed": true, "approved→cancelled": true,
		"approved→revoked":    true,                                                             // withdrawn before its token was revealed
		"provisioning→active": true, "provisioning→failed": true, "provisioning→revoking": true, // once its grant is recorded
		"provisioning→approved": true, // the token could not be shown: deleted, Reveal again
		"provisioning→revoked":  true, // revoked while being made, its API user gone
		"active→revoking":       true,
		"active→provisioning":   true, // re-issue
		"active→revoked":        true, // an adopted API user renamed in the portal: record closed, not deleted
		"revoking→expired":      true, "revoking→revoked": true,
	}
	for _, from := range allStates {
		for _, to := range allStates {
			key := fmt.Sprintf("%s→%s", from, to)
			if got := commands.CanTransition(from, to); got != allowed[key] {
				t.Errorf("CanTransition(%s) = %v, want %v", key, got, allowed[key])
			}
		}
	}
}

// storeInState puts a viewer request by carol straight into state s, as if it had got there.
func (e *env) storeInState(t *testing.T, s commands.State) *commands.Request {
	t.Helper()
	r := &commands.Request{
		Requester: carol, Workspace: "ws-1", Role: "viewer", Reason: "testing",
		Devices: []commands.Device{testDevices[0]}, Duration: 8 * time.Hour,
		State: s, CreatedAt: start, ApprovalsNeeded: 1, DecidedBy: bob, DecidedAt: start,
	}
	if s != commands.StatePending {
		r.Approvals = []commands.Approval{{User: bob, At: start}}
	}
	switch s {
	case commands.StateActive, commands.StateRevoking, commands.StateExpired, commands.StateRevoked:
		u, _, _ := e.datacake.CreateAPIUser(context.Background(), commands.APIUserSpec{Name: "x"})
		r.Grant = &commands.Grant{APIUserID: u.ID, APIUserName: u.Name, CreatedAt: start, ExpiresAt: start.Add(8 * time.Hour)}
		if s == commands.StateRevoking {
			r.Grant.Ending = commands.StateRevoked
		}
	case commands.StateFailed:
		r.FailureReason = "Datacake said no"
	case commands.StateApproved, commands.StateLapsed:
		r.RevealBy = start.Add(commands.DefaultRevealWithin)
	}
	if err := e.store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestStateMachine tries every action in every state: the allowed ones move the request,
// every other one is refused with a message about what already happened.
func TestStateMachine(t *testing.T) {
	ctx := context.Background()
	type action struct {
		name string
		do   func(e *env, id commands.RequestID) (*commands.Request, error)
	}
	actions := []action{
		{"approve", func(e *env, id commands.RequestID) (*commands.Request, error) { return e.svc.Approve(ctx, id, ann) }},
		{"deny", func(e *env, id commands.RequestID) (*commands.Request, error) { return e.svc.Deny(ctx, id, ann, "no") }},
		{"cancel", func(e *env, id commands.RequestID) (*commands.Request, error) { return e.svc.Cancel(ctx, id, carol) }},
		{"revoke", func(e *env, id commands.RequestID) (*commands.Request, error) {
			return e.svc.Revoke(ctx, id, carol, "done")
		}},
		{"extend", func(e *env, id commands.RequestID) (*commands.Request, error) {
			return e.svc.Extend(ctx, id, carol, time.Hour)
		}},
		{"reveal", func(e *env, id commands.RequestID) (*commands.Request, error) {
			return e.svc.Reveal(ctx, id, carol, e.notifier.Show)
		}},
		{"reissue", func(e *env, id commands.RequestID) (*commands.Request, error) {
			return e.svc.Reissue(ctx, id, carol, e.notifier.Show)
		}},
	}
	// want[state][action] is the state an allowed action leads to.
	want := map[commands.State]map[string]commands.State{
		commands.StatePending:  {"approve": commands.StateApproved, "deny": commands.StateDenied, "cancel": commands.StateCancelled},
		commands.StateApproved: {"reveal": commands.StateActive, "cancel": commands.StateCancelled, "revoke": commands.StateRevoked},
		// Revoked while its API user is being made: halted, for the reveal to delete it.
		commands.StateProvisioning: {"revoke": commands.StateProvisioning},
		// Extending an active viewer grant waits for approval: the state stays active.
		commands.StateActive: {"revoke": commands.StateRevoked, "extend": commands.StateActive, "reissue": commands.StateActive},
	}
	refusal := map[commands.State]string{
		commands.StatePending:      "is still waiting for approval",
		commands.StateProvisioning: "is already approved by <@UBOB>; its token is being created",
		commands.StateActive:       "is already approved by <@UBOB> and active until",
		commands.StateRevoking:     "is already being revoked",
		commands.StateExpired:      "has already expired",
		commands.StateRevoked:      "was already revoked",
		commands.StateDenied:       "was already denied by <@UBOB>",
		commands.StateCancelled:    "was already cancelled",
		commands.StateTimedOut:     "timed out without a decision",
		commands.StateFailed:       "failed: Datacake said no",
		commands.StateApproved:     "is already approved by <@UBOB>; its requester can reveal the token until",
		commands.StateLapsed:       "was approved by <@UBOB> but its token was not revealed in time",
	}
	// Some refusals point to the right action instead.
	refusalOf := map[string]string{
		"active/cancel":    "is already active; use `/cakegate revoke",
		"approved/deny":    "To take the approval back before its token is revealed, use `/cakegate revoke",
		"approved/approve": "is already approved by <@UBOB>; its requester can reveal the token until",
	}
	for _, s := range allStates {
		for _, a := range actions {
			t.Run(fmt.Sprintf("%s/%s", s, a.name), func(t *testing.T) {
				e := newEnv(t)
				r := e.storeInState(t, s)
				got, err := a.do(e, r.ID)
				if to, ok := want[s][a.name]; ok {
					if err != nil {
						t.Fatalf("got %v, want %s → %s", err, s, to)
					}
					if got.State != to {
						t.Fatalf("got %s, want %s", got.State, to)
					}
					return
				}
				if !errors.Is(err, commands.ErrWrongState) {
					t.Fatalf("got %v (code %s), want a wrong-state refusal", err, commands.ErrorCode(err))
				}
				wantMsg := refusal[s]
				if m, ok := refusalOf[string(s)+"/"+a.name]; ok {
					wantMsg = m
				}
				if !strings.HasPrefix(err.Error(), r.ID.String()+" ") || !strings.Contains(err.Error(), wantMsg) {
					t.Fatalf("got %q, want %q", err, r.ID.String()+" … "+wantMsg)
				}
				after, _ := e.store.Get(ctx, r.ID)
				if after.State != s {
					t.Fatalf("a refused %s changed the state to %s", a.name, after.State)
				}
			})
		}
	}
}
