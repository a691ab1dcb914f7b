package commands_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestReconcileJudgesOnlyWhatItsListSaw: reconcile lists the API users, then reads the
// requests. An expiry or a revoke that deletes a grant's API user in between leaves the list
// stale for that user: it is not an orphan, nothing is deleted twice, and nobody is told
// that cakegate deleted an API user no grant owned (issue 21.8).
func TestReconcileJudgesOnlyWhatItsListSaw(t *testing.T) {
	ctx := context.Background()
	expire := func(e *env, _ *commands.Request) {
		if _, err := e.svc.ExpireDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	revoke := func(e *env, r *commands.Request) {
		if _, err := e.svc.Revoke(ctx, r.ID, carol, "done"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name      string
		listTakes time.Duration // 0: a clock too coarse to tell the change from the list
		meanwhile func(e *env, r *commands.Request)
	}{
		{"Expiry", time.Second, expire},
		{"Revoke", time.Second, revoke},
		{"ExpiryAtTheSameInstant", 0, expire},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Journal = e.store
			r := e.active(t)
			e.clock.Set(r.Grant.ExpiresAt)
			e.datacake.OnFind = func() {
				e.datacake.OnFind = nil
				e.clock.Advance(tt.listTakes)
				tt.meanwhile(e, r)
			}
			if got, _ := e.store.Get(ctx, r.ID); got.State.Final() {
				t.Fatal("the grant ended before the list was read")
			}
			res, err := e.svc.Reconcile(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.OrphansDeleted+res.OrphansReported+res.OrphansHeld != 0 {
				t.Errorf("reconcile counted %+v: the grant's own API user taken for an orphan", res)
			}
			audit, _ := e.store.RecentAudit(ctx, 100)
			if i := slices.IndexFunc(audit, func(a commands.AuditEvent) bool { return a.Request == 0 }); i >= 0 {
				t.Errorf("reconcile journalled %s: %s", audit[i].Action, audit[i].Detail)
			}
			if n := e.journalled(commands.NotifyUser); len(n) > 0 {
				t.Errorf("the requester was told: %q", n[0].Text)
			}
			if got, _ := e.store.Get(ctx, r.ID); !got.State.Final() {
				t.Fatalf("the grant is %s: the change meant to race the list did not happen", got.State)
			}
			// The next run, with a fresh list, has nothing to do either.
			e.clock.Advance(15 * time.Minute)
			if res, err := e.svc.Reconcile(ctx); err != nil || res.OrphansDeleted+res.OrphansReported+res.OrphansHeld != 0 {
				t.Errorf("the next reconcile: %+v, %v", res, err)
			}
		})
	}
}
