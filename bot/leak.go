package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/cakegate/cakegate/commands"
)

// scanMessage looks for live tokens in a message, or in an edited message, that cakegate
// can read. The scan runs before the acknowledgement: it is a hash per candidate and an
// in-memory look-up, and nothing of the message is kept or logged. A match is revoked at
// once, then reported where it was seen.
func (b *Bot) scanMessage(e *slackevents.MessageEvent) {
	text, ts, thread := e.Text, e.TimeStamp, e.ThreadTimeStamp
	switch e.SubType {
	case "message_changed":
		if e.Message == nil {
			return
		}
		text, ts, thread = e.Message.Text, e.Message.Timestamp, e.Message.ThreadTimestamp
		for _, a := range e.Message.Attachments {
			text += "\n" + a.Text + "\n" + a.Fallback
		}
	case "message_deleted", "channel_join", "channel_leave":
		return
	}
	matches := b.svc.FindLeaks(context.Background(), text)
	if len(matches) == 0 {
		return
	}
	where := commands.Leak{Channel: e.Channel, TS: ts}
	if thread == "" {
		thread = ts
	}
	b.async(func(ctx context.Context) { b.respondToLeak(ctx, matches, where, thread) })
}

// respondToLeak revokes each leaked grant first (the delete at Datacake is what counts),
// then finds the message's permalink, tells the requester and the approvals channel where
// it was, and asks in the message's thread for it to be deleted.
func (b *Bot) respondToLeak(ctx context.Context, matches []commands.LeakMatch, where commands.Leak, thread string) {
	var revoked []*commands.Request
	for _, m := range matches {
		r, err := b.svc.RevokeLeaked(ctx, m, where)
		if err != nil && r == nil {
			if !errors.Is(err, commands.ErrWrongState) {
				b.log.Warn("leaked token: already ended, or revoke failed", "request", m.Request.String(), "err", err)
			}
			continue
		}
		if err != nil {
			// Recorded as revoking: the expiry sweep keeps deleting it.
			b.log.Error("leaked token: Datacake did not confirm the delete yet", "request", r.ID.String(), "err", err)
		}
		b.log.Warn("leaked token revoked", "request", r.ID.String(), "channel", where.Channel)
		revoked = append(revoked, r)
	}
	if len(revoked) == 0 {
		return
	}
	permalink, err := b.slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: where.Channel, Ts: where.TS})
	if err != nil {
		b.log.Warn("leaked token: no permalink", "channel", where.Channel, "err", err)
		permalink = ""
	}
	ids := ""
	for i, r := range revoked {
		if i > 0 {
			ids += ", "
		}
		ids += r.ID.String()
		if err := b.svc.ReportLeak(ctx, r.ID, where, permalink); err != nil {
			b.log.Error("leaked token: queue the report", "request", r.ID.String(), "err", err)
		}
	}
	text := fmt.Sprintf(":rotating_light: This message contains a live Datacake token (%s). cakegate revoked it; it no longer works. Please delete this message.", ids)
	if _, _, err := b.slack.PostMessageContext(ctx, where.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(thread)); err != nil {
		b.log.Warn("leaked token: reply in thread", "channel", where.Channel, "err", err)
	}
	b.Kick()
}
