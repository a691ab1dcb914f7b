package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

const adoptPolicy = reviewPolicy + "adopt_max: 30d\n"

// adoptForm is what the adopt form says.
func adoptForm(owner, d, note string) map[string]map[string]slack.BlockAction {
	return map[string]map[string]slack.BlockAction{
		"adopt_owner": {"owner": {SelectedUser: owner}},
		"adopt_for":   {"for": {Value: d}},
		"adopt_note":  {"note": {Value: note}},
	}
}

// adoptFromReview has ann start a review and open the adopt form of the item naming what.
func (s *sandbox) adoptFromReview(ctx context.Context, t *testing.T, what string) slacktest.Message {
	t.Helper()
	if answer, err := s.slash(ctx, sandboxAnn, "review"); err != nil || !strings.Contains(answer, "Started an access review") {
		t.Fatalf("review: %q %v", answer, err)
	}
	m, err := s.reviewMessage(ctx, func(text string) bool {
		return strings.Contains(text, what) && strings.Contains(text, "Still to decide")
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAdoptRemindedDeletedAtItsEnd (issue 25): an approver adopts a hand-made API user from
// a review; the form refuses an end past adopt_max, a bot and a deactivated person as owner;
// the owner is told, reminded before the end, may extend it as a grant is extended, and the
// alarm deletes it at its end and not before; reconcile leaves it alone meanwhile.
func TestAdoptRemindedDeletedAtItsEnd(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: adoptPolicy, alarm: true})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	s.slack.AddUser(slacktest.User{ID: "U0BOTTY", Name: "botty", IsBot: true})
	s.slack.AddUser(slacktest.User{ID: "U0GONE", Name: "gone", Deleted: true})
	legacy := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "legacy-export")
	m := s.adoptFromReview(ctx, t, "legacy-export")
	i := s.reviewIndex(t, m, "legacy-export")

	if answer, _ := s.click(ctx, sandboxAlice, m.Channel, m.TS, "cakegate_review_adopt_"+i); !strings.Contains(answer, "only cakegate's approvers") {
		t.Fatalf("alice's adopt: %q", answer)
	}
	if _, err := s.sendClick(ctx, sandboxAnn, m.Channel, m.TS, "cakegate_review_adopt_"+i); err != nil {
		t.Fatal(err)
	}
	if _, err := s.waitModal(ctx, sandboxAnn, "cakegate_adopt"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, owner, d, block, want string
	}{
		{"PastAdoptMax", sandboxAlice, "60d", "adopt_for", "adopt_max"},
		{"NotADuration", sandboxAlice, "soon", "adopt_for", "like 30d"},
		{"Bot", "U0BOTTY", "2d", "adopt_owner", "not an active Slack user"},
		{"Deactivated", "U0GONE", "2d", "adopt_owner", "not an active Slack user"},
		{"Channel", "C0APPROVALS", "2d", "adopt_owner", "must be a person"},
	} {
		errs, err := s.submit(ctx, sandboxAnn, adoptForm(tc.owner, tc.d, ""))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		mustContain(t, tc.name, errs[tc.block], tc.want)
	}
	if n := s.datacake.CallCount("DeleteApiUser"); n != 0 {
		t.Fatalf("%d deletes after refused adoptions", n)
	}
	if errs, err := s.submit(ctx, sandboxAnn, adoptForm(sandboxAlice, "2d", "the nightly export; ask Alice")); err != nil || len(errs) > 0 {
		t.Fatalf("adopt: %v %v", errs, err)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(text string) bool {
		return strings.Contains(text, "adopted the Datacake API user legacy-export for you") && strings.Contains(text, "cannot tell you if the token leaks")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Adopted by") }); err != nil {
		t.Fatal(err)
	}
	r := s.request(t, ctx, 1)
	if r.State != commands.StateActive || r.Adopted == nil || r.Grant.APIUserID != legacy.ID || r.Requester != sandboxAlice {
		t.Fatalf("the adoption's record: %+v", r)
	}
	// Reconcile lists it, leaves it alone; the next review counts it as adopted.
	if _, err := s.app.Service().Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateActive {
		t.Fatalf("reconcile moved the adoption to %s", r.State)
	}
	if answer, err := s.slash(ctx, sandboxBob, "review"); err != nil || !strings.Contains(answer, "1 adopted") {
		t.Fatalf("the next review: %q %v", answer, err)
	}

	// Reminded a day before its end, with Extend; extended as a grant is, with approval.
	s.clock.Advance(24 * time.Hour)
	reminder, err := s.dmMessage(ctx, sandboxAlice, func(text string) bool {
		return strings.Contains(text, "legacy-export* you own (R1, adopted)") && strings.Contains(text, "in about 1d")
	})
	if err != nil {
		t.Fatalf("no reminder: %v", err)
	}
	mustContain(t, "the reminder", s.slack.RenderMessage(reminder), "[Extend]", "[Delete now]")
	if answer, err := s.slash(ctx, sandboxAlice, "extend R1 1d"); err != nil || !strings.Contains(answer, "approv") {
		t.Fatalf("extend: %q %v", answer, err)
	}
	if answer, err := s.slash(ctx, sandboxBob, "approve R1"); err != nil || !strings.Contains(answer, "R1") {
		t.Fatalf("approve the extension: %q %v", answer, err)
	}
	end := s.request(t, ctx, 1).Grant.ExpiresAt
	if want := r.Grant.ExpiresAt.Add(24 * time.Hour); !end.Equal(want) {
		t.Fatalf("extended to %v, want %v", end, want)
	}
	// Past adopt_max: told in words about adopted API users, not as a role named "adopted".
	if answer, _ := s.slash(ctx, sandboxAlice, "extend R1 60d"); !strings.Contains(answer, "the policy allows an adopted API user at most 30d in all") || strings.Contains(answer, "role adopted") {
		t.Fatalf("extend past adopt_max: %q", answer)
	}
	s.clock.Set(end.Add(-time.Minute))
	if n := s.datacake.CallCount("DeleteApiUser"); n != 0 {
		t.Fatalf("%d deletes before the adoption's end", n)
	}
	s.clock.Set(end)
	if err := s.datacake.WaitAnswered(ctx, "DeleteApiUser", 1); err != nil {
		t.Fatalf("not deleted at its end: %v", err)
	}
	if _, ok := s.datacake.APIUser(legacy.ID); ok {
		t.Fatal("the adopted API user outlived its end")
	}
}

// TestAdoptedRenamedInThePortal: an adopted API user renamed in the portal was taken back
// by hand: reconcile closes its record, tells its owner and the approvers, and deletes
// nothing.
func TestAdoptedRenamedInThePortal(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: adoptPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	u := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "grafana")
	m := s.adoptFromReview(ctx, t, "grafana")
	if _, err := s.sendClick(ctx, sandboxAnn, m.Channel, m.TS, "cakegate_review_adopt_"+s.reviewIndex(t, m, "grafana")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.waitModal(ctx, sandboxAnn, "cakegate_adopt"); err != nil {
		t.Fatal(err)
	}
	if errs, err := s.submit(ctx, sandboxAnn, adoptForm(sandboxBob, "7d", "")); err != nil || len(errs) > 0 {
		t.Fatalf("adopt: %v %v", errs, err)
	}
	s.datacake.RenameAPIUserOutOfBand(u.ID, "grafana-prod")
	res, err := s.app.Service().Reconcile(ctx)
	if err != nil || res.Renamed != 1 {
		t.Fatalf("reconcile: %+v %v", res, err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateRevoked {
		t.Fatalf("the renamed adoption is %s, want closed (revoked)", r.State)
	}
	if _, ok := s.datacake.APIUser(u.ID); !ok {
		t.Fatal("a renamed adopted API user was deleted")
	}
	if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dm(ctx, sandboxBob, func(text string) bool { return strings.Contains(text, "no longer manages the API user grafana") }); err != nil {
		t.Fatal(err)
	}
}

// TestAdoptedOrphanIsNotReconciledAway: an API user named by this installation that no grant
// owns is an orphan reconcile deletes; once adopted, it is held like a grant and stays, and
// an older review's Delete on it is refused.
func TestAdoptedOrphanIsNotReconciledAway(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: adoptPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	name := commands.APIUserName(s.app.Service().Installation, 99, sandboxAlice)
	u := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, name)
	older := s.adoptFromReview(ctx, t, name)
	if answer, err := s.slash(ctx, sandboxBob, "review"); err != nil || !strings.Contains(answer, "Started an access review") {
		t.Fatalf("second review: %q %v", answer, err)
	}
	var m slacktest.Message
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, x := range srv.Messages(sandboxChannel) {
			if x.TS != older.TS && strings.Contains(srv.RenderMessage(x), "started by @bob") {
				m = x
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sendClick(ctx, sandboxAnn, m.Channel, m.TS, "cakegate_review_adopt_"+s.reviewIndex(t, m, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.waitModal(ctx, sandboxAnn, "cakegate_adopt"); err != nil {
		t.Fatal(err)
	}
	if errs, err := s.submit(ctx, sandboxAnn, adoptForm(sandboxAlice, "7d", "")); err != nil || len(errs) > 0 {
		t.Fatalf("adopt: %v %v", errs, err)
	}
	for range 2 {
		if _, err := s.app.Service().Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.datacake.APIUser(u.ID); !ok {
		t.Fatal("reconcile deleted an adopted API user as an orphan")
	}
	// The older review still offers Delete: adopted since, it is refused.
	s.mustReviewClick(ctx, t, older, sandboxAnn, "delete", name, "adopted since this review", "Revoke R1")
	if _, ok := s.datacake.APIUser(u.ID); !ok {
		t.Fatal("an older review's Delete deleted an adopted API user")
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateActive {
		t.Fatalf("the adoption is %s, want active", r.State)
	}
}
