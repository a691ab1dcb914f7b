package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/cakegate/cakegate/commands"
)

// reportUnreachable says, once per notification, which approvers of r Slack would not let
// cakegate message: a warning in the log, and a line where r's approvers read (queued in
// the outbox, so it survives a Slack outage), since they will not see the request until a
// person acts. Nothing is said when everyone was reached.
func (b *Bot) reportUnreachable(ctx context.Context, r *commands.Request, users []string) {
	if len(users) == 0 {
		return
	}
	b.log.Warn("approvers Slack will not let cakegate message were skipped", "request", r.ID.String(), "approvers", strings.Join(users, ","))
	journal := b.svc.Journal
	if journal == nil {
		return // nowhere to queue the line; the log has it
	}
	named := make([]string, len(users))
	for i, u := range users {
		named[i] = commands.Mention(u)
	}
	text := fmt.Sprintf(":warning: cakegate could not send %s to %s by direct message: Slack refuses cakegate's messages to them "+
		"(the account may be deactivated, gone or a bot), so they have not been asked to decide it. "+
		"To fix it, take them out of the approvers in the policy, or ask them to allow messages from cakegate.",
		r.ID, strings.Join(named, ", "))
	err := journal.Record(ctx, commands.Change{
		Audit: []commands.AuditEvent{{
			At: b.now(), Request: r.ID, Actor: commands.Actor, Action: "approvers_unreachable",
			Detail: "not sent by direct message to " + strings.Join(users, ", "),
		}},
		Outbox: []commands.Notification{{Kind: commands.NotifyApprovers, Request: r.ID, CreatedAt: b.now(), Text: text}},
	})
	if err != nil {
		b.log.Warn("could not queue the note about unreachable approvers", "request", r.ID.String(), "err", err)
	}
}
