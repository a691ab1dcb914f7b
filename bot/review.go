package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// startReview answers /cakegate review: the review is stored and the outbox posts it.
func (b *Bot) startReview(ctx context.Context, to replyTo, user string) {
	rv, err := b.svc.StartReview(ctx, user)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	b.Kick()
	if rv.Failed != "" {
		b.replyText(ctx, to, fmt.Sprintf(":warning: The access review could not run: %s. Nothing was classed or deleted; try again in a few minutes. The review channel %s says so too.", rv.Failed, channelMention(rv.Channel)))
		return
	}
	total := rv.Counts.Unmanaged + rv.Counts.Adopted + rv.Counts.Grants
	b.replyText(ctx, to, fmt.Sprintf("Started an access review in %s: %s to decide on. The workspace has %s: %d unmanaged, %d adopted, %d grants.",
		channelMention(rv.Channel), plural(len(rv.Items), "item", "items"), plural(total, "API user", "API users"), rv.Counts.Unmanaged, rv.Counts.Adopted, rv.Counts.Grants))
}

// channelMention links a channel id.
func channelMention(id string) string { return "<#" + escapeMrkdwn(id) + ">" }

// reviewAction runs a click on a review item's button and answers the clicker privately.
func (b *Bot) reviewAction(ctx context.Context, to replyTo, triggerID, user string, a *slack.BlockAction) {
	id, index, apiUser, choice, err := parseReviewValue(a.ActionID, a.Value)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	if choice == commands.ChoiceAdopt {
		b.openAdoptModal(ctx, to, triggerID, a.Value, user)
		return
	}
	text, err := b.svc.DecideReview(ctx, id, index, apiUser, user, choice)
	b.Kick()
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	b.replyText(ctx, to, text)
}

// showReview posts review id's messages, or brings those posted up to date. Each render is
// of the stored review, so delivering an update twice or late still leaves it right.
func (b *Bot) showReview(ctx context.Context, id string) error {
	if b.svc.Reviews == nil {
		return nil
	}
	rv, err := b.svc.Reviews.GetReview(ctx, id)
	if errors.Is(err, commands.ErrReviewNotFound) {
		b.log.Error("a notification names a review that is not stored; dropped", "review", id)
		return nil
	}
	if err != nil {
		return err
	}
	for i, part := range ReviewMessages(rv) {
		part = reviewPart{fallback: b.named(part.fallback), blocks: b.namedBlocks(part.blocks)}
		opts := []slack.MsgOption{slack.MsgOptionText(part.fallback, false), slack.MsgOptionBlocks(part.blocks...)}
		digest := part.digest()
		if i < len(rv.Messages) && !rv.Messages[i].IsZero() {
			if b.reviewSent.same(id, i, digest) {
				continue // it says this already
			}
			m := rv.Messages[i]
			err := callIn(ctx, m.Channel, func() error {
				_, _, _, err := b.slack.UpdateMessageContext(ctx, m.Channel, m.TS, opts...)
				return err
			})
			if err != nil {
				return err
			}
			b.reviewSent.record(id, i, digest)
			continue
		}
		channel := rv.Channel
		if i > 0 {
			if len(rv.Messages) == 0 || rv.Messages[0].IsZero() {
				return fmt.Errorf("review %s: its thread has no first message", id)
			}
			opts = append(opts, slack.MsgOptionTS(rv.Messages[0].TS))
		}
		var ts string
		err := callIn(ctx, channel, func() (err error) {
			channel, ts, err = b.slack.PostMessageContext(ctx, channel, opts...)
			return err
		})
		if err != nil {
			return err
		}
		b.reviewSent.record(id, i, digest)
		if rv, err = b.svc.RecordReviewMessage(ctx, id, i, commands.MessageRef{Channel: channel, TS: ts}); err != nil {
			return err
		}
	}
	return nil
}

// isReviewAction reports whether a button is a review's.
func isReviewAction(actionID string) bool { return strings.HasPrefix(actionID, actionReviewPrefix) }

// replyInReview posts text in review id's thread. Before its first message is posted there
// is no thread: the error keeps the reply queued until there is.
func (b *Bot) replyInReview(ctx context.Context, id, text string) error {
	rv, err := b.svc.Reviews.GetReview(ctx, id)
	if errors.Is(err, commands.ErrReviewNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rv.Messages) == 0 || rv.Messages[0].IsZero() {
		return fmt.Errorf("review %s has no message to reply to yet", id)
	}
	m := rv.Messages[0]
	return callIn(ctx, m.Channel, func() error {
		_, _, err := b.slack.PostMessageContext(ctx, m.Channel, slack.MsgOptionText(b.named(text), false), slack.MsgOptionTS(m.TS))
		return err
	})
}
