package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// sendRevealDM sends the requester of an approved request the Reveal token button, and
// records where, so the message follows the request (revealed, lapsed, ended).
func (b *Bot) sendRevealDM(ctx context.Context, r *commands.Request) error {
	channel, err := b.openDM(ctx, r.Requester)
	if isRefusedForGood(err) {
		return b.revealElsewhere(ctx, r, err)
	}
	if err != nil {
		return err
	}
	fallback, blocks := RevealMessage(r)
	var ch, ts string
	err = callIn(ctx, dmOf(r.Requester), func() (err error) {
		ch, ts, err = b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if isRefusedForGood(err) {
		return b.revealElsewhere(ctx, r, err)
	}
	if err != nil {
		return fmt.Errorf("send the Reveal button of %s: %w", r.ID, err)
	}
	return b.svc.RecordRevealMessage(ctx, r.ID, commands.MessageRef{Channel: ch, TS: ts})
}

// revealElsewhere tells a requester whom Slack will not let cakegate message directly
// (they blocked the app, or Slack refuses for another reason no retry mends) where their
// Reveal token button is: on cakegate's Home tab, which they can open any time. It is said
// where the request's approvers read, with no button and nothing secret; retrying the
// direct message until the approval lapsed told them nothing.
func (b *Bot) revealElsewhere(ctx context.Context, r *commands.Request, refused error) error {
	b.log.Warn("requester cannot be messaged directly; pointing them to the Home tab to reveal", "request", r.ID.String(), "err", refused)
	when := "Open"
	if !r.StartAt.IsZero() && b.now().Before(r.StartAt) {
		when = "From " + slackDate(r.StartAt) + ", open"
	}
	text := fmt.Sprintf(":white_check_mark: %s: %s is approved, and Slack does not let me message you directly. %s my *Home* tab (click my name, then Home) and click *Reveal token* there, by %s.",
		commands.Mention(r.Requester), r.ID, when, slackDate(r.RevealBy))
	channel := b.channelOf(r)
	return callIn(ctx, channel, func() error {
		_, _, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false))
		return err
	})
}

// updateRevealDM brings the Reveal DM of r up to date: the button stays while revealing (or
// re-issuing) works, and goes once the request has lapsed or ended. A deleted DM, or one
// whose person no longer takes messages from the app, is left as it is.
func (b *Bot) updateRevealDM(ctx context.Context, r *commands.Request) error {
	if r.RevealMessage.IsZero() {
		return nil
	}
	fallback, blocks := RevealMessage(r)
	err := callIn(ctx, r.RevealMessage.Channel, func() error {
		_, _, _, err := b.slack.UpdateMessageContext(ctx, r.RevealMessage.Channel, r.RevealMessage.TS, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	var se slack.SlackErrorResponse
	switch {
	case err == nil || (errors.As(err, &se) && se.Err == "message_not_found"):
	case isRefusedForGood(err):
		b.log.Warn("the Reveal DM can no longer be updated; skipped", "request", r.ID.String(), "err", err)
	default:
		return fmt.Errorf("update the Reveal DM of %s: %w", r.ID, err)
	}
	return nil
}
