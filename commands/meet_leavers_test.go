package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestDeactivatedWhileTheTokenIsMade: a requester deactivated while their Reveal click is
// making the API user keeps no token: the deactivation is recorded for the person, and the
// reveal deletes the API user it made instead of showing it, wherever the two meet
// (issue 21.1).
func TestDeactivatedWhileTheTokenIsMade(t *testing.T) {
	ctx := context.Background()
	leave := func(t *testing.T, e *env) {
		t.Helper()
		marked, _, err := e.svc.MarkDeactivated(ctx, carol)
		if err != nil {
			t.Fatal(err)
		}
		e.svc.FinishDeactivated(ctx, marked)
	}
	for _, tt := range []struct {
		name string
		// arrange has the deactivation arrive at one moment of the reveal.
		arrange func(t *testing.T, e *env) commands.ShowToken
		shown   bool // whether the token reaches the modal before the deactivation
	}{
		{"WhileDatacakeMakesIt", func(t *testing.T, e *env) commands.ShowToken {
			e.datacake.OnCreate = func() { e.datacake.OnCreate = nil; leave(t, e) }
			return e.notifier.Show
		}, false},
		{"BeforeItIsShown", func(t *testing.T, e *env) commands.ShowToken {
			// The event is recorded for the person, the request not marked yet: the
			// reveal reads the record before it shows the token.
			e.datacake.OnCreate = func() {
				e.datacake.OnCreate = nil
				if err := e.store.RecordDeactivation(ctx, carol, e.clock.Now(), commands.Change{}); err != nil {
					t.Fatal(err)
				}
			}
			return e.notifier.Show
		}, false},
		{"WhileItIsShown", func(t *testing.T, e *env) commands.ShowToken {
			return func(ctx context.Context, r *commands.Request, tok commands.Token) error {
				err := e.notifier.Show(ctx, r, tok)
				leave(t, e)
				return err
			}
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.approved(t)
			show := tt.arrange(t, e)
			got, err := e.svc.Reveal(ctx, r.ID, carol, show)
			if err == nil && got.State == commands.StateActive {
				t.Fatalf("the reveal made %s active for a deactivated requester", r.ID)
			}
			if _, shown := e.notifier.Token(r.ID); shown != tt.shown {
				t.Errorf("token shown: %v, want %v", shown, tt.shown)
			}
			if n := e.datacake.Count(); n != 0 {
				t.Fatalf("%d API users exist after the requester left", n)
			}
			if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoked {
				t.Fatalf("%s is %s, want revoked", r.ID, got.State)
			}
			if _, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: "again"}); !errors.Is(err, commands.ErrNotAllowed) {
				t.Fatalf("a new request by the leaver: got %v, want refused", err)
			}
		})
	}
}

// TestRetriedDeactivationFinishes: a deactivation whose deletes failed is left in revoking;
// the same event, delivered again, finishes what the first could not.
func TestRetriedDeactivationFinishes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.datacake.DeleteErr = commands.Errorf(commands.CodeUnavailable, "Datacake is down")
	marked, _, err := e.svc.MarkDeactivated(ctx, carol)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.FinishDeactivated(ctx, marked)
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoking {
		t.Fatalf("got %s, want revoking while Datacake is down", got.State)
	}
	e.datacake.DeleteErr = nil
	marked, _, err = e.svc.MarkDeactivated(ctx, carol) // Slack delivers the event again
	if err != nil {
		t.Fatal(err)
	}
	e.svc.FinishDeactivated(ctx, marked)
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoked || e.datacake.Count() != 0 {
		t.Fatalf("got %s with %d API users, want revoked with none", got.State, e.datacake.Count())
	}
}

// TestReactivatedMayAskAgain: a person whose account came back may ask again, whether
// Slack said so (user_change) or cakegate asks Slack when they do.
func TestReactivatedMayAskAgain(t *testing.T) {
	ctx := context.Background()
	in := commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: "back"}
	t.Run("Told", func(t *testing.T) {
		e := newEnv(t)
		if _, _, err := e.svc.MarkDeactivated(ctx, carol); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Reactivated(ctx, carol); err != nil {
			t.Fatal(err)
		}
		e.request(t, in)
	})
	t.Run("AskedSlack", func(t *testing.T) {
		e := newEnv(t)
		dir := &directory{left: map[string]bool{carol: true}}
		e.svc.Directory = dir
		if _, _, err := e.svc.MarkDeactivated(ctx, carol); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Request(ctx, in); !errors.Is(err, commands.ErrNotAllowed) {
			t.Fatalf("still deactivated in Slack: got %v, want refused", err)
		}
		dir.left[carol] = false
		e.request(t, in)
		if _, gone, _ := e.store.DeactivatedAt(ctx, carol); gone {
			t.Fatal("the deactivation is still recorded")
		}
	})
}
