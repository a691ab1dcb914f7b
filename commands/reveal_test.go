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

// approved makes a viewer request by carol that ann approves: no API user exists yet.
func (e *env) approved(t testing.TB) *commands.Request {
	t.Helper()
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	r, err := e.svc.Approve(context.Background(), r.ID, ann)
	if err != nil || r.State != commands.StateApproved {
		t.Fatalf("Approve: %v, %v", err, r)
	}
	return r
}

func TestReveal(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		if e.datacake.Count() != 0 {
			t.Fatal("an API user exists before the reveal")
		}
		if got := e.store.Notifications(r.ID); got[len(got)-1].Kind != commands.NotifyReveal || got[len(got)-1].Text != "" {
			t.Fatalf("the requester was not sent the Reveal button: %+v", got)
		}
		e.clock.Advance(5 * time.Hour) // the clock starts at the reveal
		got := e.reveal(t, r.ID)
		if want := start.Add(13 * time.Hour); !got.Grant.ExpiresAt.Equal(want) || !got.RevealedAt.Equal(start.Add(5*time.Hour)) {
			t.Fatalf("grant ends %v (revealed %v), want %v", got.Grant.ExpiresAt, got.RevealedAt, want)
		}
		if tok, _ := e.notifier.Token(r.ID); tok != commandstest.TokenOf(got.Grant.APIUserID) {
			t.Fatal("the token shown is not the API user's")
		}
	})
	t.Run("ErrNotRequester", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		for _, u := range []string{ann, bob, dave} {
			if _, err := e.svc.Reveal(ctx, r.ID, u, e.notifier.Show); !errors.Is(err, commands.ErrNotAllowed) {
				t.Fatalf("%s revealing carol's token: got %v, want refused", u, err)
			}
		}
		if e.datacake.Count() != 0 || len(e.notifier.Tokens(r.ID)) != 0 {
			t.Fatal("a refused reveal made or showed a token")
		}
	})
	t.Run("ShowFailsDeletesAPIUserAndRevealWorksAgain", func(t *testing.T) {
		// views.update failed, the answer was lost, or the view was closed.
		e := newEnv(t)
		r := e.approved(t)
		e.notifier.Err = errors.New("slack: not_found")
		got, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show)
		if err == nil || got.State != commands.StateApproved || got.Grant != nil {
			t.Fatalf("got %v, %v; want an error and approved again", got, err)
		}
		if e.datacake.Count() != 0 {
			t.Fatal("the API user of a token nobody saw still exists")
		}
		e.notifier.Err = nil
		if again := e.reveal(t, r.ID); again.State != commands.StateActive {
			t.Fatalf("got %s", again.State)
		}
	})
	t.Run("ConcurrentClicksMakeOneAPIUser", func(t *testing.T) {
		e := newEnv(t)
		r := e.approved(t)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show) })
		}
		wg.Wait()
		if n := e.datacake.Created.Load(); n != 1 {
			t.Fatalf("%d API users created by 10 clicks at once, want 1", n)
		}
	})
}

func TestLapse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.approved(t)
	e.clock.Advance(commands.DefaultRevealWithin - time.Minute)
	if res, _ := e.svc.LapseUnrevealed(ctx); res.Done != 0 {
		t.Fatal("lapsed before reveal_within")
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("a reveal past reveal_within: got %v, want refused", err)
	}
	if res, _ := e.svc.LapseUnrevealed(ctx); res.Done != 1 {
		t.Fatalf("got %+v, want one lapsed", res)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateLapsed || !got.State.Final() || e.datacake.Created.Load() != 0 {
		t.Fatalf("got %s, %d created; want lapsed with no API user ever made", got.State, e.datacake.Created.Load())
	}
	var told, channel bool
	for _, n := range e.store.Notifications(r.ID) {
		told = told || (n.Kind == commands.NotifyRequester && strings.Contains(n.Text, "lapsed"))
		channel = channel || (n.Kind == commands.NotifyApprovers && strings.Contains(n.Text, "lapsed"))
	}
	if !told || !channel {
		t.Fatalf("requester told %v, channel told %v", told, channel)
	}
}

func TestReissue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Reissue(ctx, r.ID, ann, e.notifier.Show); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("an approver re-issuing carol's token: got %v", err)
	}
	got, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show)
	if err != nil || got.State != commands.StateActive {
		t.Fatalf("got %v, %v", got, err)
	}
	if got.Grant.APIUserID == r.Grant.APIUserID || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
		t.Fatalf("got %+v, want a new API user with the same end %v", got.Grant, r.Grant.ExpiresAt)
	}
	if _, ok := e.datacake.Spec(r.Grant.APIUserID); ok || e.datacake.Count() != 1 {
		t.Fatal("the old API user was not deleted")
	}
	if tok, _ := e.notifier.Token(r.ID); tok != commandstest.TokenOf(got.Grant.APIUserID) {
		t.Fatal("the new token was not shown")
	}
	if acts := strings.Join(e.store.AuditActions(r.ID), ","); !strings.HasSuffix(acts, "reissue,reissued") {
		t.Fatalf("audit %s, want reissued", acts)
	}
	for range commands.DefaultMaxReissues - 1 {
		if _, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("re-issue past max_reissues: got %v, want refused", err)
	}

	t.Run("ShowFailsKeepsTheEnd", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		e.notifier.Err = errors.New("slack: expired_trigger_id")
		got, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show)
		if err == nil || got.State != commands.StateApproved || e.datacake.Count() != 0 {
			t.Fatalf("got %v, %v, %d API users; want approved with none", got, err, e.datacake.Count())
		}
		e.notifier.Err = nil
		e.clock.Advance(time.Hour)
		if again := e.reveal(t, r.ID); !again.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("revealing again moved the end from %v to %v", r.Grant.ExpiresAt, again.Grant.ExpiresAt)
		}
	})
}

// TestRevealOfARoleThePolicyDropped: the role left the policy between the approval and the
// reveal: the click is refused, the request cancelled, no API user made.
func TestRevealOfARoleThePolicyDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.approved(t)
	delete(e.svc.Policy.Roles, "viewer")
	if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("got %v, want refused", err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateCancelled || e.datacake.Created.Load() != 0 {
		t.Fatalf("got %s with %d API users created, want cancelled with none", got.State, e.datacake.Created.Load())
	}
}

// TestReissueOfARoleThePolicyDropped: a re-issue makes a new API user, so it is refused
// when the current policy no longer grants the role; the grant keeps its end and token.
func TestReissueOfARoleThePolicyDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	delete(e.svc.Policy.Roles, "viewer")
	if _, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("got %v, want refused", err)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateActive || got.Grant.APIUserID != r.Grant.APIUserID || e.datacake.Created.Load() != 1 {
		t.Fatalf("got %s with API user %s and %d created, want the grant as it was", got.State, got.Grant.APIUserID, e.datacake.Created.Load())
	}
}
