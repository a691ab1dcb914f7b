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
			Text: lostNotice(n, b.name, cause),
		}}
	}
	return journal.Record(ctx, c)
}

// lostNotice tells the approvers, in their words, which message could not be sent, and
// what a person can do instead: the slash command is command.
func lostNotice(n commands.Notification, command string, cause error) string {
	id := n.Request.String()
	status := fmt.Sprintf("`%s status %s` shows where it stands", command, id)
	var lost, todo string
	switch n.Kind {
	case commands.NotifyApprovalRequest:
		lost = "the approval request for " + id + " in this channel"
		todo = fmt.Sprintf("%s; approvers can decide with `%s approve %s` or `%s deny %s`", status, command, id, command, id)
	case commands.NotifyApprovalUpdate, commands.NotifyApprovalThread:
		lost = "an update of the approval message of " + id + ", which may show an old state"
		todo = status
	case commands.NotifyApproverDM:
		lost = fmt.Sprintf("a direct message about %s to %s", id, commands.Mention(n.To))
		todo = status + "; tell them yourself if they need to act"
	case commands.NotifyUser:
		lost = "a direct message to " + commands.Mention(n.To)
		todo = fmt.Sprintf("`%s audit` has what happened; tell them yourself", command)
	default: // the requester's messages: news, reminders, the Reveal button
		lost = "a direct message to the person who asked for " + id
		todo = status + "; tell them yourself, since they do not know"
	}
	if n.Request == 0 {
		todo = fmt.Sprintf("`%s audit` has what happened", command)
	}
	return fmt.Sprintf(":warning: cakegate could not send %s after %d tries (%v). %s.", lost, n.Attempts+1, cause, capitalize(todo))
}

// capitalize makes the first letter of s upper case, for a sentence that starts with a word.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
