package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
)

// testReviews: a review is stored with its audit event and notification, read back whole,
// changed in a compare-and-set whose error writes nothing, and a missing one is told apart.
func testReviews(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	if _, err := s.GetReview(ctx, "rv-none"); !errors.Is(err, commands.ErrReviewNotFound) {
		t.Fatalf("GetReview of none: %v, want ErrReviewNotFound", err)
	}
	rv := &commands.Review{
		ID: "rv-1", StartedAt: T0, StartedBy: "U1", Channel: "C1", GrantsOlderThan: 7 * 24 * time.Hour,
		Counts: commands.ReviewCounts{Grants: 1, Unmanaged: 1},
		Items: []commands.ReviewItem{
			{APIUserID: "a1", Name: "by hand", Created: T0.Add(-time.Hour), Permissions: []string{"devices"}, Devices: 2, Class: commands.ClassUnmanaged, Origin: "made by hand"},
			{APIUserID: "a2", Name: "cakegate-x-r1-U1", Class: commands.ClassGrant, Request: 1},
		},
	}
	c := commands.Change{
		Audit:  []commands.AuditEvent{{At: T0, Actor: "U1", Action: "review_started"}},
		Outbox: []commands.Notification{{Kind: commands.NotifyReview, Review: "rv-1", CreatedAt: T0}},
	}
	if err := s.CreateReview(ctx, rv, c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateReview(ctx, rv, commands.Change{}); err == nil {
		t.Fatal("a second review with the same id was stored")
	}
	got, err := s.GetReview(ctx, "rv-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rv, got); diff != "" {
		t.Fatalf("GetReview (-want +got):\n%s", diff)
	}
	due, err := s.DueNotifications(ctx, T0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Review != "rv-1" {
		t.Fatalf("outbox after CreateReview: %+v, %v; want the review's notification", due, err)
	}
	refused := errors.New("refused")
	if _, err := s.UpdateReview(ctx, "rv-1", func(rv *commands.Review) (commands.Change, error) {
		rv.Items[0].Decision = commands.ReviewDeleted
		return commands.Change{}, refused
	}); !errors.Is(err, refused) {
		t.Fatalf("UpdateReview whose fn fails: %v", err)
	}
	updated, err := s.UpdateReview(ctx, "rv-1", func(rv *commands.Review) (commands.Change, error) {
		if rv.Items[0].Decision != "" {
			t.Errorf("a refused change was written: %+v", rv.Items[0])
		}
		rv.Items[0].Decision, rv.Items[0].DecidedBy, rv.Items[0].DecidedAt = commands.ReviewKept, "U2", T0.Add(time.Minute)
		return commands.Change{Audit: []commands.AuditEvent{{At: T0, Actor: "U2", Action: "review_kept"}}}, nil
	})
	if err != nil || updated.Items[0].Decision != commands.ReviewKept {
		t.Fatalf("UpdateReview: %+v, %v", updated, err)
	}
	got, err = s.GetReview(ctx, "rv-1")
	if err != nil || got.Items[0].DecidedBy != "U2" || got.Open() != 1 {
		t.Fatalf("GetReview after the decision: %+v, %v", got, err)
	}
	if _, err := s.UpdateReview(ctx, "rv-none", func(*commands.Review) (commands.Change, error) { return commands.Change{}, nil }); !errors.Is(err, commands.ErrReviewNotFound) {
		t.Fatalf("UpdateReview of none: %v, want ErrReviewNotFound", err)
	}

	for _, id := range []string{"rv-3", "rv-2"} {
		if err := s.CreateReview(ctx, &commands.Review{ID: id, StartedAt: T0}, commands.Change{}); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := s.LatestReviews(ctx, 2)
	if err != nil || len(latest) != 2 || latest[0].ID != "rv-3" || latest[1].ID != "rv-2" {
		t.Fatalf("LatestReviews(2) = %v, %v; want rv-3, rv-2", latest, err)
	}
	if all, err := s.LatestReviews(ctx, 10); err != nil || len(all) != 3 || all[2].ID != "rv-1" || all[2].Items[0].Decision != commands.ReviewKept {
		t.Fatalf("LatestReviews(10) = %v, %v; want all three, newest first", all, err)
	}
}
