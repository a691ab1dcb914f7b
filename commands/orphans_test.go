package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// journalled returns the notifications that belong to no request: reconcile's reports.
func (e *env) journalled(kind commands.NotificationKind) []commands.Notification {
	var out []commands.Notification
	for _, n := range e.store.Notifications(0) {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// Point 3 of issue 11: the orphan sweep deletes only this installation's API users.
func TestOrphanSweepTouchesOnlyThisInstallation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Journal = e.store
	// A grant made before installation ids, whose API user has the old name: still owned.
	legacy := e.storeInState(t, commands.StateActive)
	legacyUser := e.datacake.AddUser(commands.APIUserName("", legacy.ID, carol), start)
	e.store.Update(ctx, legacy.ID, func(r *commands.Request) (commands.Change, error) {
		r.Grant.APIUserID, r.Grant.APIUserName = legacyUser, commands.APIUserName("", legacy.ID, carol)
		return commands.Change{}, nil
	})
	own := e.datacake.AddUser(commands.APIUserName(testInstallation, 77, "U0DAN"), start)
	other := e.datacake.AddUser(commands.APIUserName("zz9x8w", 5, "U0BOB"), start)
	oldUnowned := e.datacake.AddUser(commands.APIUserName("", 6, "U0EVE"), start)
	byHand := e.datacake.AddUser("cakegate-for-grafana", start)

	for range 2 {
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.datacake.Spec(own); ok {
		t.Error("this installation's orphan was not deleted")
	}
	for name, id := range map[string]string{"legacy grant's": legacyUser, "another installation's": other, "pre-installation-id unowned": oldUnowned, "hand-made": byHand} {
		if _, ok := e.datacake.Spec(id); !ok {
			t.Errorf("the %s API user was deleted", name)
		}
	}
	reports := e.journalled(commands.NotifyApprovers)
	var foreign int
	for _, n := range reports {
		if strings.Contains(n.Text, "leaves it alone") {
			foreign++
		}
	}
	if foreign != 2 {
		t.Errorf("%d reports of others' API users over two runs, want 2 (each once): %+v", foreign, reports)
	}
	// A month on, still there: reported again, by the same process.
	e.clock.Advance(31 * 24 * time.Hour)
	if _, err := e.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	again := 0
	for _, n := range e.journalled(commands.NotifyApprovers) {
		if strings.Contains(n.Text, "leaves it alone") {
			again++
		}
	}
	if again != 4 {
		t.Errorf("%d reports of others' API users after a month, want 4 (each again once)", again)
	}
	if told := e.journalled(commands.NotifyUser); len(told) != 1 || told[0].To != "U0DAN" || !strings.Contains(told[0].Text, "no request used it any more") {
		t.Errorf("the deleted orphan's user was told %+v, want U0DAN told why", told)
	}
}

// A fresh or restored database sees every live API user as an orphan: the brake deletes
// none of them and asks an approver, who can confirm with /cakegate orphans delete.
func TestOrphanBrake(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Journal = e.store
	made := start.Add(-30 * 24 * time.Hour) // a month before this database existed
	for i, u := range []string{"U0A1", "U0A2", "U0A3", "U0A4"} {
		e.datacake.AddUser(commands.APIUserName(testInstallation, commands.RequestID(i+1), u), made)
	}
	for range 2 {
		res, _ := e.svc.Reconcile(ctx)
		if res.OrphansDeleted != 0 {
			t.Fatalf("got %+v: the brake did not hold", res)
		}
	}
	if e.datacake.Count() != 4 {
		t.Fatalf("%d API users left, want all 4", e.datacake.Count())
	}
	reports := e.journalled(commands.NotifyApprovers)
	if len(reports) != 1 {
		t.Fatalf("%d reports over two runs, want 1: %+v", len(reports), reports)
	}
	for _, want := range []string{"deleted none", "orphans_brake (3)", "database is younger than these API users", "/cakegate orphans delete"} {
		if !strings.Contains(reports[0].Text, want) {
			t.Errorf("report %q does not say %q", reports[0].Text, want)
		}
	}

	if _, _, err := e.svc.DeleteOrphans(ctx, carol); !errors.Is(err, commands.ErrNotApprover) {
		t.Fatalf("a requester deleted orphans: %v", err)
	}
	deleted, failed, err := e.svc.DeleteOrphans(ctx, ann)
	if err != nil || deleted != 4 || failed != 0 {
		t.Fatalf("got %d deleted, %d failed, %v; want 4 deleted", deleted, failed, err)
	}
	if e.datacake.Count() != 0 {
		t.Fatalf("%d API users left", e.datacake.Count())
	}
	told := map[string]bool{}
	for _, n := range e.journalled(commands.NotifyUser) {
		told[n.To] = strings.Contains(n.Text, "an approver confirmed")
	}
	if len(told) != 4 || !told["U0A1"] || !told["U0A4"] {
		t.Fatalf("users told %v, want each of the 4 told why", told)
	}
	if got := e.store.AuditActions(0); !strings.Contains(strings.Join(got, ","), "orphan_deleted") {
		t.Errorf("audit %v has no orphan_deleted", got)
	}
}

// With orphans_brake: 0, no orphan is deleted without an approver.
func TestOrphanBrakeZero(t *testing.T) {
	e := newEnv(t)
	e.svc.Journal = e.store
	e.svc.Policy.OrphansBrake = 0
	id := e.datacake.AddUser(commands.APIUserName(testInstallation, 9, "U0A1"), start)
	if res, _ := e.svc.Reconcile(context.Background()); res.OrphansHeld != 1 {
		t.Fatalf("got %+v, want it held", res)
	}
	if _, ok := e.datacake.Spec(id); !ok {
		t.Fatal("deleted despite orphans_brake: 0")
	}
}

// A report of many held orphans names a few and counts the rest, so it fits a Slack message.
func TestOrphanBrakeReportIsBounded(t *testing.T) {
	e := newEnv(t)
	e.svc.Journal = e.store
	for i := range 200 {
		e.datacake.AddUser(commands.APIUserName(testInstallation, commands.RequestID(i+1), "U0A1"), start)
	}
	e.svc.Reconcile(context.Background())
	reports := e.journalled(commands.NotifyApprovers)
	if len(reports) != 1 || !strings.Contains(reports[0].Text, "… and 180 more") || len(reports[0].Text) > 4000 {
		t.Fatalf("got %d reports, the first %d bytes: %.300q", len(reports), len(reports[0].Text), reports[0].Text)
	}
}
