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
	if err != nil {
		return err
	}
	fallback, blocks := RevealMessage(r)
	ch, ts, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return fmt.Errorf("send the Reveal button of %s: %w", r.ID, err)
	}
	return b.svc.RecordRevealMessage(ctx, r.ID, commands.MessageRef{Channel: ch, TS: ts})
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
