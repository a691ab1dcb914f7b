package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// Fill writes a little of everything into s, as a few days of use would: requests in every
// live state and some ended, audit events with and without a request, notifications
// queued, retried and delivered. Migration and backup tests copy it.
func Fill(tb testing.TB, s Store) {
	tb.Helper()
	ctx := context.Background()
	var ids []commands.RequestID
	for i := range 8 {
		r := NewRequest(fmt.Sprintf("U%d", i%3))
		c := commands.Change{
			Audit:  []commands.AuditEvent{{At: T0, Actor: r.Requester, Action: "request", To: r.State}},
			Outbox: []commands.Notification{{Kind: commands.NotifyApprovalRequest, CreatedAt: T0}},
		}
		if err := s.Create(ctx, r, c, commands.CreateRules{}); err != nil {
			tb.Fatalf("Fill: %v", err)
		}
		ids = append(ids, r.ID)
	}
	moves := []func(r *commands.Request){
		func(r *commands.Request) { r.State = commands.StateProvisioning },
		func(r *commands.Request) {
			r.State = commands.StateActive
			r.Grant = &commands.Grant{APIUserID: "api-a", ExpiresAt: T0.Add(8 * time.Hour)}
		},
		func(r *commands.Request) {
			r.State = commands.StateRevoking
			r.Grant = &commands.Grant{APIUserID: "api-b", ExpiresAt: T0.Add(time.Hour), Ending: commands.StateRevoked}
		},
		func(r *commands.Request) { r.State = commands.StateDenied },
		func(r *commands.Request) {
			r.State = commands.StateExpired
			r.Grant = &commands.Grant{APIUserID: "api-c", ExpiresAt: T0}
		},
	}
	for i, move := range moves {
		MustUpdate(tb, s, ids[i], move)
	}
	if err := s.Record(ctx, commands.Change{
		Audit:  []commands.AuditEvent{{At: T0, Actor: "cakegate", Action: "orphan", Detail: "api-x"}},
		Outbox: []commands.Notification{{Kind: commands.NotifyUser, To: "U7", Text: "an orphan", CreatedAt: T0}},
	}); err != nil {
		tb.Fatalf("Fill: %v", err)
	}
	if err := s.CompleteNotification(ctx, 9); err != nil { // the last: the counter runs ahead of the outbox
		tb.Fatalf("Fill: %v", err)
	}
	if err := s.RetryNotification(ctx, 2, T0.Add(time.Minute), "slack: ratelimited"); err != nil {
		tb.Fatalf("Fill: %v", err)
	}
}
