package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

func TestRecentAudit(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for i := range 5 {
		r := &commands.Request{Requester: "U1", Role: "viewer", State: commands.StatePending, CreatedAt: time.Unix(int64(i), 0)}
		if err := s.Create(ctx, r, commands.Change{Audit: []commands.AuditEvent{{Action: "requested", At: r.CreatedAt}}}, commands.CreateRules{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RecentAudit(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Request != 5 || got[2].Request != 3 {
		t.Fatalf("got %+v, want the events of R5, R4, R3", got)
	}
	if all, _ := s.RecentAudit(ctx, 100); len(all) != 5 {
		t.Fatalf("got %d, want all 5", len(all))
	}
}
