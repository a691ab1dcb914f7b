package sandbox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// TestOrphansOfAFreshOrForeignDatabase (issue 11, point 3): API users of another
// installation, or from before installation ids, are reported and never deleted; more of
// this installation's orphans than orphans_brake are held until an approver confirms with
// /cakegate orphans delete, and the person each was made for is told. Each is reported once,
// a restart included.
func TestOrphansOfAFreshOrForeignDatabase(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{})
	// Let the reconcile at start list the (empty) workspace first, so it cannot race this
	// test's own runs.
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	dc, err := datacake.New(datacake.Options{URL: s.datacake.URL(), Token: sandboxDCToken})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string) {
		t.Helper()
		if _, err := dc.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: sandboxWorkspace, Name: name, WorkspacePermissions: []string{}}); err != nil {
			t.Fatal(err)
		}
	}
	// Live tokens of the cakegate whose database this is not, and of one from before
	// installation ids.
	create(commands.APIUserName("zz9x8w", 1, sandboxAlice))
	create(commands.APIUserName("zz9x8w", 2, sandboxBob))
	create(commands.APIUserName("", 3, sandboxAlice))
	// This installation's, as a restored older backup sees them: no grant owns them.
	mine := s.app.Service().Installation
	for i := range 4 {
		create(commands.APIUserName(mine, commands.RequestID(10+i), sandboxAlice))
	}
	reconcile := func() {
		t.Helper()
		if _, err := s.app.Service().Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reconcile()
	reconcile()
	// A restart does not report them again: what was reported is the store's. The
	// reconcile at start ends before the ones of this test.
	listed := s.datacake.CallCount("WorkspaceApiUsers")
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", listed+1); err != nil {
		t.Fatal(err)
	}
	reconcile()
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 7 {
		t.Fatalf("%d API users left, want all 7: reconcile deleted live tokens", n)
	}
	var foreign, held int
	for _, m := range s.slack.Messages(sandboxChannel) {
		switch {
		case strings.Contains(m.Text, "leaves it alone"):
			foreign++
		case strings.Contains(m.Text, "deleted none") && strings.Contains(m.Text, "/cakegate orphans delete"):
			held++
		}
	}
	if foreign != 3 || held != 1 {
		t.Fatalf("approvals channel: %d reports of others' API users (want 3), %d of held orphans (want 1)", foreign, held)
	}

	if answer, _ := s.slash(ctx, sandboxAlice, "orphans delete"); !strings.Contains(answer, "only cakegate's approvers") {
		t.Fatalf("a requester's orphans delete: %q", answer)
	}
	answer, err := s.slash(ctx, sandboxAnn, "orphans delete")
	if err != nil || !strings.Contains(answer, "Deleted 4 leftover tokens") {
		t.Fatalf("orphans delete: %q %v", answer, err)
	}
	left := s.datacake.APIUsers(sandboxWorkspace)
	if len(left) != 3 {
		t.Fatalf("API users left %v, want only the 3 of others", left)
	}
	for _, u := range left {
		if strings.Contains(u.Name, mine) {
			t.Errorf("%s survived", u.Name)
		}
	}
	if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	err = s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		n := 0
		for i := range 4 {
			name := commands.APIUserName(mine, commands.RequestID(10+i), sandboxAlice)
			for _, m := range srv.DMs(sandboxAlice) {
				if strings.Contains(m.Text, fmt.Sprintf("deleted the Datacake API user %s", name)) {
					n++
					break
				}
			}
		}
		return n == 4
	})
	if err != nil {
		t.Fatalf("alice was not told of each deleted API user: %v", err)
	}
}
