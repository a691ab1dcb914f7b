package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// scanMessage looks for live tokens in a message, or in an edited message, that cakegate
// can read: in all of its text (readMessageEvent). raw is the inner event's JSON. The scan
// runs before the acknowledgement: it is a hash per candidate and an in-memory look-up,
// and nothing of the message is kept or logged. A match is marked leaked before the
// acknowledgement too (one store write), because Slack does not deliver an acknowledged
// event again: a crash after it must not forget that the token leaked.
// The API user is deleted, and the leak reported where it was seen, after it.
// It returns an error when a leak could not be recorded: the event must then not be
// acknowledged, so that Slack delivers it again.
func (b *Bot) scanMessage(raw json.RawMessage) error {
	msg, ok := readMessageEvent(raw)
	if !ok {
		return nil
	}
	// Before the acknowledgement, so bounded: the look-up (which may reload the known
	// fingerprints) and the marks share leakMarkTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), leakMarkTimeout)
	defer cancel()
	matches := b.svc.FindLeaks(ctx, msg.text)
	if len(matches) == 0 {
		return nil
	}
	where := commands.Leak{Channel: msg.channel, TS: msg.ts}
	thread := msg.thread
	if thread == "" {
		thread = msg.ts
	}
	var marked []*commands.Request
	var failed error
	for _, m := range matches {
		r, err := b.svc.MarkLeaked(ctx, m, where)
		switch {
		case err != nil:
			b.log.Error("leaked token: the revoke could not be recorded; Slack will deliver the message again", "request", m.Request.String(), "err", err)
			failed = err
		case r != nil:
			marked = append(marked, r)
		}
	}
	if len(marked) > 0 {
		b.async(func(ctx context.Context) { b.respondToLeak(ctx, marked, where, thread) })
	}
	return failed
}

// leakMarkTimeout bounds the store writes that mark leaked grants before the message event
// is acknowledged, well within Slack's 3 s.
const leakMarkTimeout = 2 * time.Second

// respondToLeak finishes revoking each leaked grant first (the delete at Datacake is what
// counts), then finds the message's permalink, tells the requester and the approvals
// channel where it was, and asks in the message's thread for it to be deleted.
func (b *Bot) respondToLeak(ctx context.Context, marked []*commands.Request, where commands.Leak, thread string) {
	var revoked []*commands.Request
	for _, m := range marked {
		r, err := b.svc.FinishLeaked(ctx, m)
		if err != nil && r == nil {
			b.log.Warn("leaked token: revoke failed; reconcile finishes it", "request", m.ID.String(), "err", err)
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
