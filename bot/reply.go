package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

func defaultHTTPClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

// replyTo says where a private answer goes: the response_url Slack gave with the command or
// click, or else an ephemeral message in the channel.
type replyTo struct {
	responseURL string
	channel     string
	user        string
}

// message is a rendered message: what notifications show, and the blocks.
type message struct {
	fallback string
	blocks   []slack.Block
}

// msg packs a renderer's two results, so msg(ListMessage(…)) can be passed along.
func msg(fallback string, blocks []slack.Block) message { return message{fallback, blocks} }

// reply answers privately. Failures are logged: there is nobody else to tell.
func (b *Bot) reply(ctx context.Context, to replyTo, m message) {
	m = b.namedMessage(m)
	b.warned(to.user, m.fallback)
	fallback, blocks := m.fallback, m.blocks
	var err error
	if to.responseURL != "" {
		msg := &slack.WebhookMessage{
			ResponseType:    slack.ResponseTypeEphemeral,
			ReplaceOriginal: false,
			Text:            fallback,
		}
		if len(blocks) > 0 {
			msg.Blocks = &slack.Blocks{BlockSet: blocks}
		}
		err = hideResponseURL(slack.PostWebhookCustomHTTPContext(ctx, to.responseURL, b.http, msg), to.responseURL)
	} else if to.channel != "" {
		opts := []slack.MsgOption{slack.MsgOptionText(fallback, false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		_, err = b.slack.PostEphemeralContext(ctx, to.channel, to.user, opts...)
	} else if to.user != "" {
		// A click on a view (the Home tab, a shortcut) gives no place to answer in: a
		// direct message is the private place left.
		err = b.dm(ctx, to.user, fallback, blocks)
	}
	if err != nil {
		b.log.Warn("private reply failed", "user", to.user, "err", err)
	}
}

// replyText answers privately with plain mrkdwn text.
func (b *Bot) replyText(ctx context.Context, to replyTo, text string) {
	b.reply(ctx, to, message{fallback: text})
}

// replyError tells the user what went wrong and what to do; internal failures are logged
// and the user gets an apology that leaks nothing.
func (b *Bot) replyError(ctx context.Context, to replyTo, err error) {
	if commands.ErrorCode(err) == commands.CodeInternal {
		b.log.Error("request failed", "user", to.user, "err", err)
	}
	b.replyText(ctx, to, ":warning: "+commands.UserMessage(err))
}
