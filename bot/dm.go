package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
)

// openDM returns the id of the direct message channel with user.
func (b *Bot) openDM(ctx context.Context, user string) (string, error) {
	var ch *slack.Channel
	err := callIn(ctx, dmOf(user), func() (err error) {
		ch, _, _, err = b.slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
		return err
	})
	if err != nil {
		b.disabledAnswer(user, err)
		return "", fmt.Errorf("open a direct message with %s: %w", user, err)
	}
	return ch.ID, nil
}

// dm sends a direct message to user.
func (b *Bot) dm(ctx context.Context, user, fallback string, blocks []slack.Block) error {
	channel, err := b.openDM(ctx, user)
	if err != nil {
		return err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(b.named(fallback), false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(b.namedBlocks(blocks)...))
	}
	return callIn(ctx, dmOf(user), func() error {
		_, _, err := b.slack.PostMessageContext(ctx, channel, opts...)
		return err
	})
}

// dmOf names user's direct messages among the conversations an outbox run may find refused.
func dmOf(user string) string { return "dm:" + user }
