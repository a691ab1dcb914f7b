package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// roleOf returns r's role in the current policy, or nil for a role that left it.
func (b *Bot) roleOf(r *commands.Request) *commands.Role {
	role, _ := b.svc.Policy.Role(r.Role)
	return role
}

// channelOf is where r's approvers read: its role's approvals channel, or the policy's.
func (b *Bot) channelOf(r *commands.Request) string {
	return b.svc.Policy.ChannelOf(b.roleOf(r))
}

// sendApproverDM delivers n, the approval message of r with its buttons, to the user n.To,
// or to every member of the user group n.To, and records each copy so that later changes
// update it. Who already approved, and the requester, are left out; so is a request no
// longer waiting for a decision (or an extension), which a late delivery would only
// announce wrongly.
//
// Each member is sent to on their own: one Slack refuses for good (isRefusedForGood) is
// skipped and reported once (reportUnreachable), and one who meets a passing failure (a
// 5xx, a 429) does not stop the others. The error then makes the outbox retry n, and the
// copies recorded for n leave out who already got it, so a retry reaches only who is still
// missing, also after a restart.
func (b *Bot) sendApproverDM(ctx context.Context, r *commands.Request, n commands.Notification) error {
	if !r.AwaitsDecision() {
		return nil
	}
	users := []string{n.To}
	if len(n.To) > 0 && n.To[0] == 'S' {
		members, err := b.groupMembers(ctx, n.To)
		if err != nil {
			return fmt.Errorf("list user group %s: %w", n.To, err)
		}
		users = members
	}
	fallback, blocks := ApprovalMessage(r, b.now())
	fallback, blocks = b.named(fallback), b.namedBlocks(blocks)
	var unreachable []string
	var failed []error
	seen := map[string]bool{}
	for _, user := range users {
		if seen[user] {
			continue
		}
		seen[user] = true
		if r.HasApproved(user) || (user == r.Requester && !b.svc.Policy.AllowSelfApproval) || r.CopySent(n.ID, user) {
			continue
		}
		err := b.sendApproverCopy(ctx, r, n.ID, user, fallback, blocks)
		switch {
		case err == nil:
		case isRefusedForGood(err):
			unreachable = append(unreachable, user)
		default:
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		// Reported once n is done, not on every attempt.
		return fmt.Errorf("%s of %s not reached yet: %w", plural(len(failed), "approver", "approvers"), r.ID, errors.Join(failed...))
	}
	b.reportUnreachable(ctx, r, unreachable)
	return nil
}

// sendApproverCopy sends one approver their copy of the approval message of r and records
// it as sent by notification.
func (b *Bot) sendApproverCopy(ctx context.Context, r *commands.Request, notification uint64, user, fallback string, blocks []slack.Block) error {
	channel, err := b.openDM(ctx, user)
	if err != nil {
		return err
	}
	var ts string
	err = callIn(ctx, dmOf(user), func() (err error) {
		_, ts, err = b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return fmt.Errorf("send %s to approver %s: %w", r.ID, user, err)
	}
	return b.svc.RecordCopy(ctx, r.ID, commands.ApproverCopy{
		MessageRef: commands.MessageRef{Channel: channel, TS: ts}, User: user, Notification: notification,
	})
}

// updateCopies brings every direct-message copy of r's approval message up to date. A copy
// the approver deleted, or whose approver no longer takes messages from the app
// (isRefusedForGood), is skipped; any other failure is retried with the notification.
func (b *Bot) updateCopies(ctx context.Context, r *commands.Request, opts []slack.MsgOption) error {
	for _, m := range r.ApproverCopies {
		err := callIn(ctx, m.Channel, func() error {
			_, _, _, err := b.slack.UpdateMessageContext(ctx, m.Channel, m.TS, opts...)
			return err
		})
		var se slack.SlackErrorResponse
		switch {
		case err == nil || (errors.As(err, &se) && se.Err == "message_not_found"):
		case isRefusedForGood(err):
			b.log.Warn("an approver's copy can no longer be updated; skipped", "request", r.ID.String(), "channel", m.Channel, "err", err)
		default:
			return fmt.Errorf("update the copy of %s in %s: %w", r.ID, m.Channel, err)
		}
	}
	return nil
}

// replyInThread posts text under r's approval message. A request asked by direct message
// only has no channel message, and its approvers got their own copies instead.
func (b *Bot) replyInThread(ctx context.Context, r *commands.Request, text string) error {
	if r.Message.IsZero() {
		return nil
	}
	err := callIn(ctx, r.Message.Channel, func() error {
		_, _, err := b.slack.PostMessageContext(ctx, r.Message.Channel, slack.MsgOptionText(b.named(text), false), slack.MsgOptionTS(r.Message.TS))
		return err
	})
	return err
}
