package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// replayWindow is how long a delivery is remembered. A signature is accepted while its
// timestamp is within 5 minutes of now, either way, so a replay of the same signed body can
// arrive up to 10 minutes after the first; a little more covers clock skew.
const replayWindow = 11 * time.Minute

// replayCheckTimeout bounds the store's answer to "taken before?": for clicks and events
// it runs before the acknowledgement, within Slack's 3 s (a slash command's runs after).
const replayCheckTimeout = time.Second

// Repeated deliveries. Slack signs each request once; the same signature arriving again is
// a replay (anyone who saw the request can send it again within the signature's window) or
// a proxy repeating itself, and acting on it twice would approve, deny or ask twice. Over
// Socket Mode the envelope id plays the signature's part. Either is acknowledged (so Slack
// and the sender are satisfied) and dropped. A replay may reach another replica than the
// first delivery did, or this one after a restart: the store decides (Config.Replays),
// and this process's memory only spares it the question for what it took itself.

// signatureKey is the replay key of an HTTP request signed with signature; "" for none.
func signatureKey(signature string) string {
	if signature == "" {
		return ""
	}
	return "sig:" + signature
}

// envelopeKey is the replay key of a Socket Mode envelope; "" for none.
func envelopeKey(req *socketmode.Request) string {
	if req == nil || req.EnvelopeID == "" {
		return ""
	}
	return "env:" + req.EnvelopeID
}

// replayedDelivery reports whether the delivery with this replay key (signatureKey,
// envelopeKey) was taken before; a delivery without a key never was.
func (b *Bot) replayedDelivery(key string) bool {
	return key != "" && b.replayed(key)
}

// commandKey is the replay key of a slash command: its trigger id, which Slack gives each
// command it sends, so that a repeat by either transport (the same signed body again, an
// envelope sent again) is found with one question to the store. Without one, the
// delivery's key (signatureKey, envelopeKey) stands in.
func commandKey(sc slack.SlashCommand, delivery string) string {
	if sc.TriggerID == "" {
		return delivery
	}
	return "trigger:" + sc.TriggerID
}

// replayed records key as taken now and reports whether it was taken before: by this
// process (memory), or by any replica, before a restart too (the store). When the store
// does not answer, memory decides and the delivery is taken: the work it starts needs the
// store anyway, and dropping a person's click without a word is worse.
func (b *Bot) replayed(key string) bool {
	now := b.now()
	if b.replays.seen(key, now) {
		return true
	}
	if b.sharedReplays == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), replayCheckTimeout)
	defer cancel()
	first, err := b.sharedReplays.Remember(ctx, "replay:"+key, now, now.Add(replayWindow))
	if err != nil {
		b.log.Warn("replay check: the store did not answer; only this replica's memory was asked", "err", err)
		return false
	}
	return !first
}

// forgetReplay drops key, so that Slack's next delivery of what was not taken is taken.
func (b *Bot) forgetReplay(key string) {
	b.replays.forget(key)
	if b.sharedReplays == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), replayCheckTimeout)
	defer cancel()
	if err := b.sharedReplays.Forget(ctx, "replay:"+key); err != nil {
		b.log.Warn("replay record: could not forget a delivery that was not taken; Slack's next delivery of it may be dropped", "err", err)
	}
}
