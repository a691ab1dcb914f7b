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
	for name, meanwhile := range map[string]func(e *env, r *commands.Request){
		"Expiry": func(e *env, _ *commands.Request) {
			if _, err := e.svc.ExpireDue(ctx); err != nil {
				t.Fatal(err)
			}
		},
		"Revoke": func(e *env, r *commands.Request) {
			if _, err := e.svc.Revoke(ctx, r.ID, carol, "done"); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Journal = e.store
			r := e.active(t)
			e.clock.Set(r.Grant.ExpiresAt)
			e.datacake.OnFind = func() {
				e.datacake.OnFind = nil
				meanwhile(e, r)
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
			// The next run, with a fresh list, has nothing to do either.
			e.clock.Advance(15 * time.Minute)
			if res, err := e.svc.Reconcile(ctx); err != nil || res.OrphansDeleted+res.OrphansReported+res.OrphansHeld != 0 {
				t.Errorf("the next reconcile: %+v, %v", res, err)
			}
		})
	}
}
