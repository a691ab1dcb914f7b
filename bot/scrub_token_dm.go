package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// scrubPages bounds how far back in a requester's direct messages with cakegate the token
// message of a grant made before Reveal is looked for: 5 pages of 200 messages.
const scrubPages = 5

// scrubTokenDMs edits the direct messages in which a cakegate from before Reveal posted the
// token of r (their blocks have the id "R42_token"), so the token no longer shows in
// Slack's history. Their channel and ts were never recorded, so the DM's history is read
// (internal apps are not throttled on it).
func (b *Bot) scrubTokenDMs(ctx context.Context, r *commands.Request) error {
	channel, err := b.openDM(ctx, r.Requester)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("This message showed the token of %s. That token no longer works, so it was removed from here.", r.ID)
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, ":lock: "+text, false, false), nil, nil)}
	params := &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 200}
	for range scrubPages {
		page, err := b.slack.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return fmt.Errorf("read the direct messages with %s: %w", r.Requester, err)
		}
		for _, m := range page.Messages {
			if !holdsTokenOf(m, r.ID) {
				continue
			}
			if _, _, _, err := b.slack.UpdateMessageContext(ctx, channel, m.Timestamp, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
				return fmt.Errorf("edit the token message of %s: %w", r.ID, err)
			}
		}
		if !page.HasMore || page.ResponseMetaData.NextCursor == "" {
			return nil
		}
		params.Cursor = page.ResponseMetaData.NextCursor
	}
	return nil
}

// holdsTokenOf reports whether m is the token message of request id, as cakegate before
// Reveal rendered it: a section with the block id "R42_token".
func holdsTokenOf(m slack.Message, id commands.RequestID) bool {
	for _, blk := range m.Blocks.BlockSet {
		if s, ok := blk.(*slack.SectionBlock); ok && s.BlockID == id.String()+"_token" {
			return true
		}
	}
	return false
}
