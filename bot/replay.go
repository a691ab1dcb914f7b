package bot

import (
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// replayWindow is how long a delivery is remembered. A signature is accepted while its
// timestamp is within 5 minutes of now, either way, so a replay of the same signed body can
// arrive up to 10 minutes after the first; a little more covers clock skew.
const replayWindow = 11 * time.Minute

// Repeated deliveries. Slack signs each request once; the same signature arriving again is
// a replay (anyone who saw the request can send it again within the signature's window) or
// a proxy repeating itself, and acting on it twice would approve, deny or ask twice. Over
// Socket Mode the envelope id plays the signature's part. Either is acknowledged (so Slack
// and the sender are satisfied) and dropped.

// replayedSignature reports whether a request with this signature was taken before.
func (b *Bot) replayedSignature(signature string) bool {
	return signature != "" && b.replays.seen("sig:"+signature, b.now())
}

// replayedEnvelope reports whether a Socket Mode envelope with this id was taken before.
func (b *Bot) replayedEnvelope(req *socketmode.Request) bool {
	return req != nil && req.EnvelopeID != "" && b.replays.seen("env:"+req.EnvelopeID, b.now())
}

// replayedCommand reports whether this slash command was taken before, by either
// transport: each command Slack sends has its own trigger id, so a second one with the
// same id is the first again, and must not open a second request.
func (b *Bot) replayedCommand(sc slack.SlashCommand) bool {
	return sc.TriggerID != "" && b.replays.seen("trigger:"+sc.TriggerID, b.now())
}
