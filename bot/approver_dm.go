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

// sendApproverDM sends the approval message of r, with its buttons, to the user to, or to
// every member of the user group to, and records each copy so that later changes update it.
// Who already approved, and the requester, are left out; so is a request no longer waiting
// for a decision (or an extension), which a late delivery would only announce wrongly.
func (b *Bot) sendApproverDM(ctx context.Context, r *commands.Request, to string) error {
	if !r.AwaitsDecision() {
		return nil
	}
	users := []string{to}
	if len(to) > 0 && to[0] == 'S' {
		members, err := b.groupMembers(ctx, to)
		if err != nil {
			return fmt.Errorf("list user group %s: %w", to, err)
		}
		users = members
	}
	fallback, blocks := ApprovalMessage(r, b.now())
	fallback, blocks = b.named(fallback), b.namedBlocks(blocks)
	for _, user := range users {
		if r.HasApproved(user) || (user == r.Requester && !b.svc.Policy.AllowSelfApproval) {
			continue
		}
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
		if err := b.svc.RecordCopy(ctx, r.ID, commands.MessageRef{Channel: channel, TS: ts}); err != nil {
			return err
		}
	}
	return nil
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
