package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// missingAnswers are the ways a delete of an API user that no longer exists may come back:
// the ErrNotFound the adapter makes of ok:false, and an error cakegate does not recognise,
// such as Django's "User matching query does not exist." reaching it untranslated.
var missingAnswers = []struct {
	name string
	err  error // nil: the fake's ErrNotFound
}{
	{"NotFound", nil},
	//lint:ignore ST1005 Django's message, verbatim
	{"Unrecognised", errors.New("datacake DeleteApiUser: User matching query does not exist.")},
}

// eachMissingAnswer runs f once for each way Datacake may answer a delete of a missing API user.
func eachMissingAnswer(t *testing.T, f func(t *testing.T, e *env)) {
	for _, m := range missingAnswers {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Journal = e.store
			e.datacake.MissingErr = m.err
			f(t, e)
		})
	}
}

// Point 1 of issue 11: a grant whose API user is already gone ends, however Datacake
// answers the delete.
func TestGoneAPIUserEndsTheGrant(t *testing.T) {
	ctx := context.Background()
	t.Run("Revoke", func(t *testing.T) {
		eachMissingAnswer(t, func(t *testing.T, e *env) {
			r := e.active(t)
			e.datacake.RemoveOutOfBand(r.Grant.APIUserID)
			got, err := e.svc.Revoke(ctx, r.ID, ann, "done")
			if err != nil || got.State != commands.StateRevoked {
				t.Fatalf("got %v, %v; want revoked", got, err)
			}
			e.wantRequesterTold(t, r.ID, "has been revoked")
		})
	})
	t.Run("Expire", func(t *testing.T) {
		eachMissingAnswer(t, func(t *testing.T, e *env) {
			r := e.active(t)
			e.datacake.RemoveOutOfBand(r.Grant.APIUserID)
			e.clock.Advance(r.Duration)
			if res, err := e.svc.ExpireDue(ctx); err != nil || res.Done != 1 {
				t.Fatalf("got %+v, %v; want one expired", res, err)
			}
			if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateExpired {
				t.Fatalf("got %s, want expired", got.State)
			}
			e.wantRequesterTold(t, r.ID, "has expired")
		})
	})
	t.Run("VanishedInPortal", func(t *testing.T) {
		eachMissingAnswer(t, func(t *testing.T, e *env) {
			r := e.active(t)
			e.datacake.RemoveOutOfBand(r.Grant.APIUserID)
			e.clock.Advance(time.Minute)
			if res, _ := e.svc.Reconcile(ctx); res.Vanished != 1 {
				t.Fatalf("got %+v, want one vanished", res)
			}
			if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoked {
				t.Fatalf("got %s, want revoked", got.State)
			}
			e.wantRequesterTold(t, r.ID, "deleted in the Datacake portal")
		})
	})
	t.Run("CrashAfterDelete", func(t *testing.T) {
		// Datacake deleted the API user, then cakegate stopped before writing it down.
		eachMissingAnswer(t, func(t *testing.T, e *env) {
			r := e.storeInState(t, commands.StateRevoking)
			e.datacake.RemoveOutOfBand(r.Grant.APIUserID)
			if res, _ := e.svc.Reconcile(ctx); res.Revoked != 1 {
				t.Fatalf("got %+v, want the revocation finished", res)
			}
		})
	})
	t.Run("HalfProvisionedTooOld", func(t *testing.T) {
		// A crash left a recorded API user that is gone since, and the approval is old.
		eachMissingAnswer(t, func(t *testing.T, e *env) {
			r := e.storeInState(t, commands.StateProvisioning)
			if _, err := e.store.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
				r.ProvisionedBy = "a-run-that-died"
				r.Grant = &commands.Grant{APIUserID: "gone-long-ago", APIUserName: commands.APIUserName("", r.ID, carol), CreatedAt: start, ExpiresAt: start.Add(time.Hour)}
				return commands.Change{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(25 * time.Hour)
			if res, _ := e.svc.Reconcile(ctx); res.Failed != 1 {
				t.Fatalf("got %+v, want it failed", res)
			}
			if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateFailed {
				t.Fatalf("got %s, want failed", got.State)
			}
		})
	})
}

// A failed deletion waits out its backoff in reconcile too, not only in the expiry sweep.
func TestReconcileHonoursRevokeBackoff(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.datacake.DeleteErr = commands.Errorf(commands.CodeUnavailable, "datacake DeleteApiUser: HTTP 502")
	if _, err := e.svc.Revoke(ctx, r.ID, carol, ""); err == nil {
		t.Fatal("revoke succeeded while Datacake failed")
	}
	for range 3 {
		e.svc.Reconcile(ctx)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.Grant.RevokeAttempts != 1 {
		t.Fatalf("%d attempts, want 1: reconcile retried before the backoff was over", got.Grant.RevokeAttempts)
	}
	e.datacake.DeleteErr = nil
	e.clock.Advance(commands.RevokeRetryBase)
	if res, _ := e.svc.Reconcile(ctx); res.Revoked != 1 {
		t.Fatalf("got %+v, want the revocation finished after the backoff", res)
	}
}

// An unreachable Datacake is not taken for "gone": the list is not asked and nothing ends.
func TestUnreachableDeleteIsNotSettledByTheList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.datacake.RemoveOutOfBand(r.Grant.APIUserID)
	e.datacake.DeleteErr = commands.Errorf(commands.CodeUnavailable, "datacake DeleteApiUser: HTTP 503")
	if _, err := e.svc.Revoke(ctx, r.ID, carol, ""); !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoking {
		t.Fatalf("got %s, want revoking until Datacake answers", got.State)
	}
}

// wantRequesterTold fails unless the requester of id was sent a message containing text.
func (e *env) wantRequesterTold(t *testing.T, id commands.RequestID, text string) {
	t.Helper()
	for _, n := range e.store.Notifications(id) {
		if n.Kind == commands.NotifyRequester && strings.Contains(n.Text, text) {
			return
		}
	}
	t.Errorf("the requester of %s was not told %q; queued: %+v", id, text, e.store.Notifications(id))
}
