package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// reviewPolicy asks about grants older than an hour, and lets one review delete one API
// user, so the story reaches the brake.
const reviewPolicy = sandboxPolicy + `orphans_brake: 1
review:
  grants_older_than: 1h
`

// TestAccessReview (issue 25): a review lists the API users made by hand and by another
// installation, and the grants older than grants_older_than; a partial Datacake list
// classes and deletes nothing; Keep asks again at the next review, Delete asks to confirm
// and only a top-level approver may, and the orphan brake holds; a click on an API user gone
// meanwhile answers "already gone"; grants are re-certified and revoked; the message follows
// every decision; and nothing unmanaged is ever deleted without a click.
func TestAccessReview(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: reviewPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	ci := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "ci-pipeline")
	dash := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "old-dashboard")
	tmp := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "temp-export")
	foreign := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "cakegate-zz9x8w-r7-"+sandboxBob)
	for id := range 2 {
		if _, err := s.grantViewer(ctx, commands.RequestID(id+1), "7d"); err != nil {
			t.Fatal(err)
		}
	}
	s.clock.Advance(2 * time.Hour)

	if answer, _ := s.slash(ctx, sandboxCarol, "review"); !strings.Contains(answer, "only cakegate's approvers") {
		t.Fatalf("carol's review: %q", answer)
	}

	// A partial list: the review says so, and classes and deletes nothing.
	s.datacake.PartialAPIUsersNext(1)
	answer, err := s.slash(ctx, sandboxAnn, "review")
	mustContain(t, "a review on a partial list", answer, "could not run", "Nothing was classed or deleted")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "classed nothing and deleted nothing") })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(failed.Blocks), actionPrefixForTests) {
		t.Fatalf("a failed review has buttons: %s", failed.Blocks)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 6 {
		t.Fatalf("%d API users after a failed review, want all 6", n)
	}

	answer, err = s.slash(ctx, sandboxAnn, "review")
	mustContain(t, "the review's answer", answer, "Started an access review", "6 items", "4 unmanaged", "2 grants")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Still to decide: 6 of 6") })
	if err != nil {
		t.Fatal(err)
	}
	text := s.slack.RenderMessage(m)
	mustContain(t, "the review", text, "ci-pipeline", "old-dashboard", "temp-export", "made by hand", "another cakegate installation (zz9x8w)", "R1", "R2", "Workspace permissions: none")
	if strings.Contains(text, ci.Token) || strings.Contains(string(m.Blocks), "apiKey") {
		t.Fatal("the review shows a token")
	}

	// Keep: the next review asks again.
	s.mustReviewClick(ctx, t, m, sandboxBob, "keep", "ci-pipeline", "Kept", "asks about it again")
	// Delete: a requester may not; the button asks to confirm; an approver deletes.
	mustContain(t, "the delete button", deleteButtonJSON(t, m, s.reviewIndex(t, m, "old-dashboard")), `"confirm"`, "cannot be undone")
	if answer, _ := s.click(ctx, sandboxAlice, m.Channel, m.TS, "cakegate_review_delete_"+s.reviewIndex(t, m, "old-dashboard")); !strings.Contains(answer, "only cakegate's approvers") {
		t.Fatalf("alice's delete: %q", answer)
	}
	s.mustReviewClick(ctx, t, m, sandboxAnn, "delete", "old-dashboard", "Deleted", "no longer works")
	if _, ok := s.datacake.APIUser(dash.ID); ok {
		t.Fatal("old-dashboard was not deleted")
	}
	// The brake: this review has deleted as many as orphans_brake allows.
	s.mustReviewClick(ctx, t, m, sandboxAnn, "delete", "temp-export", "orphans_brake")
	// Gone meanwhile: the click says so, and so does the message.
	s.datacake.DeleteAPIUserOutOfBand(foreign.ID)
	s.mustReviewClick(ctx, t, m, sandboxBob, "keep", "cakegate-zz9x8w", "already gone")
	// Grants: re-certified, and revoked.
	s.mustReviewClick(ctx, t, m, sandboxBob, "keep", "R1", "Re-certified R1")
	s.mustReviewClick(ctx, t, m, sandboxAnn, "revoke", "R2", "Revoked R2")
	if _, err := s.reviewMessage(ctx, func(text string) bool {
		return strings.Contains(text, "Still to decide: 1 of 6") && strings.Contains(text, "Kept by") && strings.Contains(text, "Deleted by") &&
			strings.Contains(text, "Already gone") && strings.Contains(text, "Re-certified by") && strings.Contains(text, "Revoked by")
	}); err != nil {
		t.Fatalf("the review message does not follow the decisions: %v", err)
	}

	// Reconcile and every sweep leave the unmanaged alone; the next review asks again.
	if _, err := s.app.Service().Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{ci.ID, tmp.ID} {
		if _, ok := s.datacake.APIUser(u); !ok {
			t.Fatalf("API user %s was deleted without a click", u)
		}
	}
	if answer, err := s.slash(ctx, sandboxBob, "review"); err != nil || !strings.Contains(answer, "2 unmanaged") {
		t.Fatalf("the next review: %q %v", answer, err)
	}
	next, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Still to decide: 3 of 3") })
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the next review", s.slack.RenderMessage(next), "ci-pipeline", "temp-export", "R1")
}

// actionPrefixForTests is what every review button's action id starts with.
const actionPrefixForTests = "cakegate_review_"

// reviewIndex returns the index of the review item whose text names what.
func (s *sandbox) reviewIndex(t *testing.T, m slacktest.Message, what string) string {
	t.Helper()
	cur, _ := s.slack.Message(m.Channel, m.TS)
	var blocks []struct {
		BlockID string `json:"block_id"`
		Text    struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(cur.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if i, ok := strings.CutPrefix(b.BlockID, "review_item_"); ok && strings.Contains(b.Text.Text, what) {
			return i
		}
	}
	t.Fatalf("no review item names %q", what)
	return ""
}

// mustReviewClick has user click choice on the item naming what, and checks the answer.
func (s *sandbox) mustReviewClick(ctx context.Context, t *testing.T, m slacktest.Message, user, choice, what string, want ...string) {
	t.Helper()
	answer, err := s.click(ctx, user, m.Channel, m.TS, "cakegate_review_"+choice+"_"+s.reviewIndex(t, m, what))
	if err != nil {
		t.Fatalf("%s on %s: %v", choice, what, err)
	}
	mustContain(t, choice+" on "+what, answer, want...)
}

// deleteButtonJSON returns the Delete button of item i as JSON.
func deleteButtonJSON(t *testing.T, m slacktest.Message, i string) string {
	t.Helper()
	var blocks []struct {
		Elements []json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if strings.Contains(string(e), `"cakegate_review_delete_`+i+`"`) {
				return string(e)
			}
		}
	}
	t.Fatalf("no delete button for item %s", i)
	return ""
}
