package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// testOutboxUrgentFirst: security notices come out of the outbox before routine news
// queued earlier, also across a retry, and the limit counts them first.
func testOutboxUrgentFirst(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	var routine []commands.Notification
	for range 4 {
		routine = append(routine, commands.Notification{Kind: commands.NotifyApprovalRequest, CreatedAt: T0})
	}
	if err := s.Create(ctx, NewRequest("U1"), commands.Change{Outbox: routine}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	urgent := []commands.Notification{
		{Kind: commands.NotifyRequester, Text: "revoked", CreatedAt: T0, Urgent: true},
		{Kind: commands.NotifyApprovers, Text: "delete failed", CreatedAt: T0, Urgent: true},
	}
	if err := s.Create(ctx, NewRequest("U2"), commands.Change{Outbox: urgent}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	ids := func(limit int) []uint64 {
		t.Helper()
		ns, err := s.DueNotifications(ctx, T0, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	if got, want := ids(3), []uint64{5, 6, 1}; !slices.Equal(got, want) {
		t.Fatalf("due with limit 3: %v, want the 2 urgent ones, then the oldest routine one %v", got, want)
	}
	if got, want := ids(0), []uint64{5, 6, 1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("all due: %v, want %v", got, want)
	}
	// A retried urgent notice stays urgent.
	if err := s.RetryNotification(ctx, 5, T0.Add(-time.Second), "ratelimited"); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(0), []uint64{6, 5, 1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("after a retry: %v, want %v", got, want)
	}
}
