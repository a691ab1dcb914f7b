package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/commands"
)

// testOutbox queues notifications with a transition, and delivers, retries and completes
// them as the bot's outbox worker does, from two replicas.
func testOutbox(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	other := h.Replica(t, s)

	later := T0.Add(time.Hour)
	err := s.Create(ctx, NewRequest("U1"), commands.Change{Outbox: []commands.Notification{
		{Kind: commands.NotifyApprovalRequest, CreatedAt: T0},
		{Kind: commands.NotifyRequester, Text: "reminder", CreatedAt: T0, NextAttemptAt: later},
	}}, commands.CreateRules{})
	if err != nil {
		t.Fatal(err)
	}
	post := commands.Notification{ID: 1, Kind: commands.NotifyApprovalRequest, Request: 1, CreatedAt: T0}
	remind := commands.Notification{ID: 2, Kind: commands.NotifyRequester, Request: 1, Text: "reminder", CreatedAt: T0, NextAttemptAt: later}

	due := func(now time.Time, limit int) []commands.Notification {
		t.Helper()
		ns, err := other.DueNotifications(ctx, now, limit)
		if err != nil {
			t.Fatalf("DueNotifications: %v", err)
		}
		return ns
	}
	check := func(step string, got, want []commands.Notification) {
		t.Helper()
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", step, diff)
		}
	}

	check("due now: the one never tried", due(T0, 0), []commands.Notification{post})
	check("due at its time, inclusive", due(later, 0), []commands.Notification{post, remind})
	check("limit", due(later, 1), []commands.Notification{post})

	retryAt := T0.Add(10 * time.Minute)
	if err := other.RetryNotification(ctx, 1, retryAt, "slack: ratelimited"); err != nil {
		t.Fatal(err)
	}
	post.Attempts, post.NextAttemptAt, post.LastError = 1, retryAt, "slack: ratelimited"
	check("after retry, not due before its time", due(T0, 0), nil)
	check("after retry, due at its time", due(retryAt, 0), []commands.Notification{post})
	check("after retry, order follows the new time", due(later, 0), []commands.Notification{post, remind})
	assertAuditAndOutbox(t, s, 0, 2)

	if err := s.CompleteNotification(ctx, 1); err != nil {
		t.Fatal(err)
	}
	check("after complete", due(later, 0), []commands.Notification{remind})
	assertAuditAndOutbox(t, s, 0, 1)
	if err := other.CompleteNotification(ctx, 1); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("second CompleteNotification, from a replica: got %v, want ErrNotFound", err)
	}
	if err := s.RetryNotification(ctx, 1, later, "x"); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("RetryNotification of a completed one: got %v, want ErrNotFound", err)
	}

	// Update queues its notifications the same way, and Record with no request.
	_, err = s.Update(ctx, 1, func(*commands.Request) (commands.Change, error) {
		return commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyApprovalUpdate, CreatedAt: T0}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyUser, To: "U7", CreatedAt: T0}}}); err != nil {
		t.Fatal(err)
	}
	check("queued by Update and Record", due(T0, 0), []commands.Notification{
		{ID: 3, Kind: commands.NotifyApprovalUpdate, Request: 1, CreatedAt: T0},
		{ID: 4, Kind: commands.NotifyUser, To: "U7", CreatedAt: T0},
	})
}
