package bot

import (
	"context"
	"fmt"

	"github.com/cakegate/cakegate/commands"
)

// deadLetter records a notification the outbox gave up on: an audit event, and an alert to
// the approvals channel saying what was not delivered and why, so that giving up is never
// silent. An alert that itself could not be delivered is only audited: alerting about it
// would go to the same channel that failed, for ever.
func (b *Bot) deadLetter(ctx context.Context, n commands.Notification, cause error) error {
	journal := b.svc.Journal
	if journal == nil {
		return nil // nowhere to record it; the caller has logged it
	}
	what := fmt.Sprintf("%s notification", n.Kind)
	if n.Request != 0 {
		what += " about " + n.Request.String()
	}
	detail := fmt.Sprintf("gave up delivering the %s after %d attempts: %v", what, n.Attempts+1, cause)
	c := commands.Change{Audit: []commands.AuditEvent{{
		At: b.now(), Request: n.Request, Actor: commands.Actor, Action: "dead_letter",
		Detail: fmt.Sprintf("notification %d: %s", n.ID, detail),
	}}}
	if n.Kind != commands.NotifyApprovers {
		c.Outbox = []commands.Notification{{
			Kind: commands.NotifyApprovers, Request: n.Request, CreatedAt: b.now(),
			Text: fmt.Sprintf(":warning: cakegate %s. Whoever it was for has not been told; check %s.", detail, whereToLook(n)),
		}}
	}
	return journal.Record(ctx, c)
}

// whereToLook says where to find out what a lost notification was about.
func whereToLook(n commands.Notification) string {
	if n.Request != 0 {
		return "`/cakegate status " + n.Request.String() + "`"
	}
	return "`/cakegate audit`"
}
