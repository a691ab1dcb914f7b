package bot

import (
	"encoding/json"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// undecodedMessage is what cakegate reads itself of a message event that slack-go could not
// decode: slack-go decodes an event all or nothing, and one part it cannot read (a field of
// another type, an element newer than it) must not hide a token in the rest. The leak scan
// reads the event's JSON itself.
type undecodedMessage struct {
	Type     string          `json:"type"`
	TeamID   string          `json:"team_id"`
	APIAppID string          `json:"api_app_id"`
	EventID  string          `json:"event_id"`
	Event    json.RawMessage `json:"event"`
}

// readUndecodedMessage reads payload, an event_callback, as an undecodedMessage; ok is
// false unless it holds a message event.
func readUndecodedMessage(payload []byte) (m undecodedMessage, ok bool) {
	if json.Unmarshal(payload, &m) != nil || m.Type != slackevents.CallbackEvent {
		return undecodedMessage{}, false
	}
	var inner struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(m.Event, &inner) != nil || inner.Type != string(slackevents.Message) {
		return undecodedMessage{}, false
	}
	return m, true
}

// takeUndecodedMessage scans m for leaked tokens, as handleInnerEvent does a message event
// slack-go decoded. The error is takeCallback's.
func (b *Bot) takeUndecodedMessage(m undecodedMessage) error {
	// Neither the event nor slack-go's error is logged: either may hold the message's text.
	b.log.Warn("slack-go could not decode a message event; it is scanned for leaked tokens all the same", "event", m.EventID)
	return b.takeCallback(m.TeamID, m.APIAppID, m.EventID, func() error { return b.scanMessage(m.Event) })
}

// takeUndecodedEnvelope takes a message event over Socket Mode that slack-go could not
// decode: slack-go reports its envelope as EventTypeErrorBadMessage, unacknowledged. The
// message is scanned and its envelope acknowledged; anything else is only logged, and
// Slack sends it again.
func (b *Bot) takeUndecodedEnvelope(client socketAcker, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var req socketmode.Request
	if json.Unmarshal(bad.Message, &req) == nil && req.Type == socketmode.RequestTypeEventsAPI {
		if m, ok := readUndecodedMessage(req.Payload); ok {
			if b.replayedDelivery(envelopeKey(&req)) {
				b.log.Info("dropped a repeated Socket Mode envelope", "envelope", req.EnvelopeID)
				b.ack(client, socketmode.Event{Request: &req}, nil)
				return
			}
			b.ackTaken(client, &req, b.takeUndecodedMessage(m))
			return
		}
	}
	// The cause only: the envelope may hold a message's text.
	b.log.Warn("socket mode: slack-go could not decode an envelope", "envelope", req.EnvelopeID, "err", bad.Cause)
}
