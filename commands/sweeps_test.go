package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// reminders returns the texts of the reminders queued for id.
func (e *env) reminders(id commands.RequestID) []string {
	var out []string
	for _, n := range e.store.Notifications(id) {
		if n.Kind == commands.NotifyReminder {
			out = append(out, n.Text)
		}
	}
	return out
}

func TestRemindDue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// A 3-day viewer grant: reminders at 24h and 1h before expiry, once each.
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 72 * time.Hour})
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	e.reveal(t, r.ID)
	short := e.active(t) // 8h: no 24h reminder, only the 1h one

	e.clock.Advance(6 * time.Hour)
	e.svc.RemindDue(ctx)
	if n := len(e.reminders(short.ID)); n != 0 {
		t.Fatalf("8h grant reminded %d times after 6h", n)
	}
	e.clock.Advance(time.Hour + time.Minute) // 59m left
	e.svc.RemindDue(ctx)
	e.svc.RemindDue(ctx) // a second sweep, or a restart, sends nothing new
	if got := e.reminders(short.ID); len(got) != 1 || !strings.Contains(got[0], "expires in 59m") {
		t.Fatalf("8h grant: got reminders %q, want one 1h reminder", got)
	}
	if n := len(e.reminders(r.ID)); n != 0 {
		t.Fatalf("3-day grant reminded %d times after 7h", n)
	}
	e.clock.Advance(41 * time.Hour) // 3-day grant: 23h59m left
	e.svc.RemindDue(ctx)
	if got := e.reminders(r.ID); len(got) != 1 || !strings.Contains(got[0], "expires in 23h59m") {
		t.Fatalf("3-day grant: got %q, want the 24h reminder", got)
	}
	e.clock.Advance(23 * time.Hour) // 59m left
	e.svc.RemindDue(ctx)
	e.svc.RemindDue(ctx)
	if got := e.reminders(r.ID); len(got) != 2 {
		t.Fatalf("3-day grant: got %q, want the 24h and 1h reminders", got)
	}
	if got := strings.Join(e.store.AuditActions(r.ID), ","); strings.Count(got, "reminded") != 2 {
		t.Fatalf("audit %s: want two reminded events", got)
	}
}

func TestRemindAfterDowntimeSendsNearestOnly(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 72 * time.Hour})
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	e.reveal(t, r.ID)
	e.clock.Advance(71*time.Hour + 30*time.Minute) // both lead times passed while down
	e.svc.RemindDue(ctx)
	e.svc.RemindDue(ctx)
	if got := e.reminders(r.ID); len(got) != 1 || !strings.Contains(got[0], "expires in 30m") {
		t.Fatalf("got %q, want one reminder", got)
	}
}

func TestRemindAgainAfterExtension(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.Roles["viewer"].ExtendWithoutApproval = true
	r := e.active(t)
	e.clock.Advance(7*time.Hour + 30*time.Minute)
	e.svc.RemindDue(ctx)
	if _, err := e.svc.Extend(ctx, r.ID, carol, 4*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(4 * time.Hour)
	e.svc.RemindDue(ctx)
	if got := e.reminders(r.ID); len(got) != 2 {
		t.Fatalf("got %q, want a 1h reminder before each expiry", got)
	}
}

func TestTimeOutPending(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	e.clock.Advance(23 * time.Hour)
	e.svc.TimeOutPending(ctx)
	if n := len(e.store.Notifications(r.ID)); n != 1 {
		t.Fatalf("got %d notifications before halfway, want only the approval request", n)
	}
	e.clock.Advance(time.Hour)
	e.svc.TimeOutPending(ctx)
	e.svc.TimeOutPending(ctx)
	n := e.store.Notifications(r.ID)
	if len(n) != 2 || n[1].Kind != commands.NotifyApprovers || !strings.Contains(n[1].Text, "times out in 1d") {
		t.Fatalf("got %+v, want one halfway reminder to approvers", n)
	}
	e.clock.Advance(24 * time.Hour)
	if res, _ := e.svc.TimeOutPending(ctx); res.Done != 1 {
		t.Fatalf("got %+v, want one timed out", res)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateTimedOut {
		t.Fatalf("got %s, want timed_out", got.State)
	}
	n = e.store.Notifications(r.ID)
	if last := n[len(n)-1]; last.Kind != commands.NotifyRequester || !strings.Contains(last.Text, "timed out") {
		t.Fatalf("the requester was not told: %+v", last)
	}
	if _, err := e.svc.Approve(ctx, r.ID, ann); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("approving a timed-out request: got %v", err)
	}
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	t.Run("ProvisioningLeftByACrash", func(t *testing.T) {
		e := newEnv(t)
		r := e.storeInState(t, commands.StateProvisioning)
		// The crash happened after Datacake created the API user, before it was recorded.
		half, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Workspace: "ws-1", Name: commands.APIUserName(testInstallation, r.ID, carol)})
		res, err := e.svc.Reconcile(ctx)
		if err != nil || res.Reopened != 1 {
			t.Fatalf("got %+v %v, want one reopened", res, err)
		}
		got, _ := e.store.Get(ctx, r.ID)
		if got.State != commands.StateApproved || got.Grant != nil {
			t.Fatalf("got %s with API user %v, want approved again with none", got.State, got.Grant)
		}
		if _, ok := e.datacake.Spec(half.ID); ok {
			t.Fatal("the half-made API user still exists")
		}
		if e.datacake.Count() != 0 {
			t.Fatalf("%d API users, want none: a token nobody saw must not exist", e.datacake.Count())
		}
		if _, ok := e.notifier.Token(r.ID); ok {
			t.Fatal("reconcile showed a token nobody asked to see")
		}
		if again := e.reveal(t, r.ID); again.Grant == nil {
			t.Fatal("Reveal does not work again")
		}
	})
	t.Run("ProvisioningFromBeforeInstallationIDs", func(t *testing.T) {
		// A request made before the database had an installation id may have left an API
		// user of the old name; one made since cannot, so the old name is then another
		// cakegate's (found by the simulation, seed 15: a foreign API user deleted).
		e := newEnv(t)
		old := e.storeInState(t, commands.StateProvisioning)
		e.svc.InstalledAt = start.Add(time.Minute)
		oldHalf, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Workspace: "ws-1", Name: commands.APIUserName("", old.ID, carol)})
		if res, err := e.svc.Reconcile(ctx); err != nil || res.Reopened != 1 {
			t.Fatalf("got %+v %v, want one reopened", res, err)
		}
		if _, ok := e.datacake.Spec(oldHalf.ID); ok {
			t.Fatal("the half-made API user of the old name still exists")
		}

		e = newEnv(t)
		r := e.storeInState(t, commands.StateProvisioning)
		foreign, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Workspace: "ws-1", Name: commands.APIUserName("", r.ID, carol)})
		if res, err := e.svc.Reconcile(ctx); err != nil || res.Reopened != 1 {
			t.Fatalf("got %+v %v, want one reopened", res, err)
		}
		if _, ok := e.datacake.Spec(foreign.ID); !ok {
			t.Fatal("reconcile deleted another cakegate's API user of the old name for a request made since installation ids")
		}
	})
	t.Run("RevokingFinished", func(t *testing.T) {
		e := newEnv(t)
		r := e.storeInState(t, commands.StateRevoking)
		if res, _ := e.svc.Reconcile(ctx); res.Revoked != 1 {
			t.Fatalf("got %+v", res)
		}
		got, _ := e.store.Get(ctx, r.ID)
		if got.State != commands.StateRevoked || e.datacake.Count() != 0 {
			t.Fatalf("got %s with %d API users", got.State, e.datacake.Count())
		}
	})
	t.Run("RevokingHonoursBackoff", func(t *testing.T) {
		// A delete that failed set the next attempt; reconcile (every minute by default) must
		// not retry it sooner than the backoff, or a down Datacake is hammered.
		e := newEnv(t)
		r := e.storeInState(t, commands.StateRevoking)
		e.store.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
			r.Grant.RevokeAttempts, r.Grant.NextAttemptAt = 1, start.Add(time.Minute)
			return commands.Change{}, nil
		})
		if res, _ := e.svc.Reconcile(ctx); res.Revoked != 0 || e.datacake.Count() != 1 {
			t.Fatalf("got %+v with %d API users, want the revocation left for its next attempt", res, e.datacake.Count())
		}
		e.clock.Advance(time.Minute)
		if res, _ := e.svc.Reconcile(ctx); res.Revoked != 1 || e.datacake.Count() != 0 {
			t.Fatalf("got %+v with %d API users once due, want it revoked", res, e.datacake.Count())
		}
	})
	t.Run("OrphansDeleted", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Journal = e.store
		owned := e.active(t)
		orphan, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Name: commands.APIUserName(testInstallation, 77, "UX")})
		foreign, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Name: "someone-elses-integration"})
		res, _ := e.svc.Reconcile(ctx)
		if res.OrphansDeleted != 1 {
			t.Fatalf("got %+v, want one orphan deleted", res)
		}
		if _, ok := e.datacake.Spec(orphan.ID); ok {
			t.Fatal("the orphan still exists")
		}
		if _, ok := e.datacake.Spec(foreign.ID); !ok {
			t.Fatal("an API user cakegate did not name was deleted")
		}
		if _, ok := e.datacake.Spec(owned.Grant.APIUserID); !ok {
			t.Fatal("an owned API user was deleted")
		}
		if got := e.store.AuditActions(0); len(got) != 1 || got[0] != "orphan_deleted" {
			t.Fatalf("audit of request 0: %v", got)
		}
	})
	t.Run("OrphansReportedOnce", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Journal = e.store
		e.svc.Policy.Orphans = commands.OrphansReport
		orphan, _, _ := e.datacake.CreateAPIUser(ctx, commands.APIUserSpec{Name: commands.APIUserName(testInstallation, 77, "UX")})
		e.svc.Reconcile(ctx)
		e.svc.Reconcile(ctx)
		if _, ok := e.datacake.Spec(orphan.ID); !ok {
			t.Fatal("a reported orphan was deleted")
		}
		if n := e.store.Notifications(0); len(n) != 1 || !strings.Contains(n[0].Text, "orphans: report") {
			t.Fatalf("got %+v, want one report", n)
		}
	})
	t.Run("VanishedInPortal", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		_ = e.datacake.DeleteAPIUser(ctx, r.Grant.APIUserID)
		e.clock.Advance(time.Minute)
		res, _ := e.svc.Reconcile(ctx)
		got, _ := e.store.Get(ctx, r.ID)
		if res.Vanished != 1 || got.State != commands.StateRevoked {
			t.Fatalf("got %+v, %s", res, got.State)
		}
		n := e.store.Notifications(r.ID)
		if last := n[len(n)-1]; !strings.Contains(last.Text, "deleted in the Datacake portal") || !strings.Contains(last.Text, "revoked by cakegate") {
			t.Fatalf("the requester was told %q", last.Text)
		}
	})
}

// TestReconcileLeavesOwnProvisioningAlone checks that a reconcile running while this process
// provisions a request does not take it over, and that concurrent reconciles take over a
// crashed one once.
func TestReconcileLeavesOwnProvisioningAlone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	inReconcile := make(chan commands.ReconcileResult, 1)
	e.datacake.OnCreate = func() {
		// Datacake is creating the API user of the approval: reconcile now.
		e.datacake.OnCreate = nil
		res, _ := e.svc.Reconcile(ctx)
		inReconcile <- res
	}
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	e.reveal(t, r.ID)
	if res := <-inReconcile; res.Reopened != 0 || res.Failed != 0 {
		t.Fatalf("reconcile took over a request being provisioned: %+v", res)
	}
	if n := e.datacake.Created.Load(); n != 1 {
		t.Fatalf("%d API users created, want 1", n)
	}
}

func TestConcurrentReconcilesTakeOverOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.storeInState(t, commands.StateProvisioning) // left by a run that died
	done := make(chan commands.ReconcileResult, 5)
	start := make(chan struct{})
	for range 5 {
		go func() {
			<-start
			res, _ := e.svc.Reconcile(ctx)
			done <- res
		}()
	}
	close(start)
	total := 0
	for range 5 {
		total += (<-done).Reopened
	}
	if total != 1 || e.datacake.Created.Load() != 0 {
		t.Fatalf("%d reopened, %d created; want 1 and 0", total, e.datacake.Created.Load())
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateApproved {
		t.Fatalf("got %s", got.State)
	}
}

// failingUpdates makes every Update of a store fail, as a full disk would.
type failingUpdates struct{ *commandstest.Store }

func (failingUpdates) Update(context.Context, commands.RequestID, func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	return nil, errors.New("disk full")
}

func TestExpireDueSurvivesAStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.active(t)
	e.clock.Advance(9 * time.Hour)
	e.svc.Store = failingUpdates{e.store}
	res, err := e.svc.ExpireDue(context.Background())
	if err != nil || res.Failed != 1 || res.Done != 0 {
		t.Fatalf("got %+v, %v; want the grant counted as failed and left for the next sweep", res, err)
	}
}
