package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

func TestApprovePolicy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		role      string
		requester string
		approvers []string // approve in this order; the last one's result is checked
		selfOK    bool
		wantErr   *commands.Error
		wantMsg   string
		wantState commands.State
	}{
		{name: "OK", role: "viewer", requester: carol, approvers: []string{ann}, wantState: commands.StateApproved},
		{name: "ErrNotApprover", role: "viewer", requester: carol, approvers: []string{dave}, wantErr: commands.ErrNotApprover, wantMsg: "only the approvers of role viewer"},
		{name: "ErrNotApproverRequesterItself", role: "viewer", requester: carol, approvers: []string{carol}, wantErr: commands.ErrSelfApproval},
		{name: "OKApproverViaGroup", role: "device-editor", requester: carol, approvers: []string{dave, ann}, wantState: commands.StateApproved},
		{name: "ErrGroupNotForOtherRole", role: "viewer", requester: carol, approvers: []string{dave}, wantErr: commands.ErrNotApprover},
		{name: "ErrSelfApproval", role: "viewer", requester: ann, approvers: []string{ann}, wantErr: commands.ErrSelfApproval, wantMsg: "cannot approve your own request"},
		{name: "OKSelfApprovalAllowed", role: "viewer", requester: ann, approvers: []string{ann}, selfOK: true, wantState: commands.StateApproved},
		{name: "OneOfTwoStaysPending", role: "device-editor", requester: carol, approvers: []string{ann}, wantState: commands.StatePending},
		{name: "TwoOfTwoActivates", role: "device-editor", requester: carol, approvers: []string{ann, bob}, wantState: commands.StateApproved},
		{name: "ErrSameApproverTwiceCountsOnce", role: "device-editor", requester: carol, approvers: []string{ann, ann}, wantErr: commands.ErrAlreadyApproved, wantMsg: "needs 1 more"},
		{name: "ErrAfterApproved", role: "viewer", requester: carol, approvers: []string{ann, bob}, wantErr: commands.ErrWrongState, wantMsg: "is already approved by <@UANN>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Policy.AllowSelfApproval = tt.selfOK
			r := e.request(t, commands.RequestInput{Requester: tt.requester, Role: tt.role, Devices: []string{"SN1"}})
			var err error
			var got *commands.Request
			for i, a := range tt.approvers {
				got, err = e.svc.Approve(ctx, r.ID, a)
				if i < len(tt.approvers)-1 && err != nil {
					t.Fatalf("approval %d by %s: %v", i+1, a, err)
				}
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v (code %s), want code %s", err, commands.ErrorCode(err), tt.wantErr.Code)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %q, want it to contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if got.State != tt.wantState {
				t.Fatalf("got state %s, want %s", got.State, tt.wantState)
			}
			if e.datacake.Count() != 0 {
				t.Fatalf("an API user was created before its requester revealed the token")
			}
		})
	}
}

func TestApproveProvisionsExactly(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1", "SN3"}})
	if _, err := e.svc.Approve(context.Background(), r.ID, ann); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Approve(context.Background(), r.ID, bob); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour) // the clock starts at the reveal, not the approval
	r = e.reveal(t, r.ID)
	spec, ok := e.datacake.Spec(r.Grant.APIUserID)
	if !ok {
		t.Fatalf("API user %s not in Datacake", r.Grant.APIUserID)
	}
	if spec.Name != "cakegate-k3f9q2-r1-ucarol" || spec.Workspace != "ws-1" ||
		strings.Join(spec.WorkspacePermissions, ",") != "devices" ||
		strings.Join(spec.DevicePermissions, ",") != "edit_basics,record_measurements" ||
		strings.Join(spec.DeviceIDs, ",") != "dev-1,dev-3" {
		t.Fatalf("got API user %+v, want exactly the role's permissions on dev-1,dev-3", spec)
	}
	if got, want := r.Grant.ExpiresAt, start.Add(9*time.Hour); !got.Equal(want) {
		t.Fatalf("got expiry %v, want %v", got, want)
	}
	if tok, _ := e.notifier.Token(r.ID); tok != commandstest.TokenOf(r.Grant.APIUserID) {
		t.Fatalf("the requester did not receive the token")
	}
	if got := strings.Join(e.store.AuditActions(r.ID), ","); got != "requested,approval,approved,reveal,revealed" {
		t.Fatalf("got audit %s", got)
	}
	if r.DecidedBy != bob {
		t.Fatalf("got decided by %s, want the last approver %s", r.DecidedBy, bob)
	}
}

// TestConcurrentApprovals has 50 approvers click Approve at once: exactly one API user.
func TestConcurrentApprovals(t *testing.T) {
	e := newEnv(t)
	approvers := []string{ann, bob}
	for i := range 48 {
		approvers = append(approvers, "UAPPROVER"+string(rune('A'+i%26))+string(rune('A'+i/26)))
	}
	e.svc.Policy.Approvers = approvers
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})

	var wg sync.WaitGroup
	startGun := make(chan struct{})
	errs := make([]error, len(approvers))
	for i, a := range approvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGun
			_, errs[i] = e.svc.Approve(context.Background(), r.ID, a)
		}()
	}
	close(startGun)
	wg.Wait()

	if n := e.datacake.Created.Load(); n != 0 {
		t.Fatalf("got %d API users created, want none before the reveal", n)
	}
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, commands.ErrWrongState):
			t.Errorf("got %v, want success or a wrong-state refusal", err)
		}
	}
	if ok != 1 {
		t.Fatalf("got %d successful approvals, want 1", ok)
	}
}

func TestProvisionFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("CreateFailsMarksFailed", func(t *testing.T) {
		e := newEnv(t)
		e.datacake.CreateErr = errors.New("datacake: temporary failure (HTTP 503)")
		r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
		e.svc.Approve(ctx, r.ID, ann)
		got, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show)
		if !errors.Is(err, commands.ErrUnavailable) {
			t.Fatalf("got %v, want unavailable", err)
		}
		if got.State != commands.StateFailed || !strings.Contains(got.FailureReason, "HTTP 503") {
			t.Fatalf("got %s %q, want failed with the reason", got.State, got.FailureReason)
		}
		if n := e.store.Notifications(r.ID); n[len(n)-1].Kind != commands.NotifyRequester {
			t.Fatalf("the requester was not told: %+v", n)
		}
	})
}
