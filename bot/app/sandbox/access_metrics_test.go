package sandbox

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestAccessMetricsAndHome (issue 25): after reconcile's list, the metrics count the
// workspace's API users by class and age the oldest unmanaged one, which the README's
// example alert (older than 30 days) reads; an approver's Home tab shows the counts and the
// next scheduled review.
func TestAccessMetricsAndHome(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: scheduledReviewPolicy})
	s.datacake.SetClock(s.clock.Now)
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.grantViewer(ctx, 1, "8h"); err != nil {
		t.Fatal(err)
	}
	s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "ci-pipeline")
	if _, err := s.app.Service().Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	m := apptest.Scrape(t, ctx, s.baseURL)
	m.Want(t, 1, "cakegate_api_users", "class", "grant")
	m.Want(t, 0, "cakegate_api_users", "class", "adopted")
	m.Want(t, 1, "cakegate_api_users", "class", "unmanaged")
	if age := m.Value(t, "cakegate_api_users_unmanaged_oldest_age_seconds"); age > 60 {
		t.Fatalf("a new unmanaged API user is %vs old", age)
	}
	s.clock.Advance(31 * 24 * time.Hour)
	if age := apptest.Scrape(t, ctx, s.baseURL).Value(t, "cakegate_api_users_unmanaged_oldest_age_seconds"); age < 30*24*3600 {
		t.Fatalf("after 31 days the oldest unmanaged API user is %vs old, want over 30 days: the alert would not fire", age)
	}

	if err := s.openHome(ctx, sandboxAnn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.home(ctx, sandboxAnn, "Access reviews", "1 API user owned by grants, 0 adopted, 1 unmanaged", "Next review:"); err != nil {
		t.Fatal(err)
	}
}
