package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives Slack's requests over Socket Mode until ctx ends. The bot's Slack
// client must carry the app-level token (slack.OptionAppLevelToken). Every envelope is
// acknowledged first and handled afterwards. slack-go reconnects by itself; RunSocketMode
// returns only when ctx ends or Slack refuses the app-level token for good (invalid_auth,
// token_revoked, …), with an error that says so.
func (b *Bot) RunSocketMode(ctx context.Context, opts ...socketmode.Option) error {
	client := socketmode.New(b.slack, opts...)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.consumeSocketEvents(runCtx, client)
	}()
	err := client.RunContext(runCtx)
	cancel()
	<-done
	if ctx.Err() != nil {
		return nil // asked to stop
	}
	// RunContext returns only when ctx ends or the connection cannot go on (it reconnects
	// by itself otherwise), and then never with a nil error.
	// The connection is opened with the app-level token alone (apps.connections.open): the
	// bot token is checked, and named, by auth.test.
	return fmt.Errorf("socket mode stopped: Slack refused SLACK_APP_TOKEN (%w): create an app-level token with connections:write under Basic Information → App-Level Tokens, and turn Socket Mode on", err)
}

// consumeSocketEvents drains the client's events. It never blocks on work: a stalled
// reader stops slack-go answering pings, and Slack drops the connection.
func (b *Bot) consumeSocketEvents(ctx context.Context, client *socketmode.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-client.Events:
			if !ok {
				return
			}
			b.dispatchSocketEvent(client, evt)
		}
	}
}

// socketAcker acknowledges Socket Mode envelopes: a *socketmode.Client, or a test's recorder.
type socketAcker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// dispatchSocketEvent handles one event on the reader goroutine. A panic is recovered here,
// per event: without it one malformed payload would stop the reader, and with it the bot.
func (b *Bot) dispatchSocketEvent(client socketAcker, evt socketmode.Event) {
	defer b.recovered(PanicSocket)
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		b.ackFirst.arrived() // a delivery to acknowledge, not the connection's own news
	}
	// A slash command is checked behind its acknowledgement instead, by its trigger id (else
	// its envelope): acceptCommand. This goroutine reads every envelope, one after another.
	if evt.Type != socketmode.EventTypeSlashCommand && b.replayedDelivery(envelopeKey(evt.Request)) {
		b.log.Info("dropped a repeated Socket Mode envelope", "envelope", evt.Request.EnvelopeID)
		b.ack(client, evt, nil)
		return
	}
	b.handleSocketEvent(client, evt)
}

func (b *Bot) handleSocketEvent(client socketAcker, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		switch err := b.acceptCommand(sc, envelopeKey(evt.Request)); {
		case errors.Is(err, ErrForeign):
			b.ack(client, evt, nil) // acknowledged, so Slack does not send it again; dropped
		case err != nil:
			b.ack(client, evt, map[string]string{"response_type": "ephemeral", "text": "cakegate is restarting; try again in a minute."})
		default:
			b.ack(client, evt, nil)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		payload, err := b.acceptInteraction(cb)
		if errors.Is(err, ErrShuttingDown) {
			return // unacknowledged: Slack tells the person it failed
		}
		if errors.Is(err, ErrForeign) {
			b.ack(client, evt, nil)
			return
		}
		if err != nil {
			b.log.Warn("malformed interaction over socket mode", "err", err)
		}
		b.ack(client, evt, payload)
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			if evt.Request != nil {
				b.ack(client, evt, nil)
			}
			return
		}
		cb, isCallback := ev.Data.(*slackevents.EventsAPICallbackEvent)
		if !isCallback {
			if evt.Request != nil {
				b.ack(client, evt, nil)
			}
			return
		}
		b.ackTaken(client, evt.Request, b.takeCallback(cb.TeamID, cb.APIAppID, cb.EventID, func() error {
			return b.handleInnerEvent(ev.InnerEvent, innerJSON(cb))
		}))
	case socketmode.EventTypeErrorBadMessage:
		b.takeUndecodedEnvelope(client, evt)
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		b.log.Warn("socket mode", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("socket mode: Slack refused the token", "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeConnected:
		b.log.Info("socket mode connected")
	}
}

// ackTaken acknowledges the envelope of an event once it is taken (err is takeCallback's).
// An event is handled before its acknowledgement: the work it starts runs after, but a leak
// is recorded first, and an event not taken is left unacknowledged for Slack to send again.
func (b *Bot) ackTaken(client socketAcker, req *socketmode.Request, err error) {
	if req == nil {
		return
	}
	if err != nil {
		// Not taken: Slack's next delivery of the envelope must be taken then.
		b.forgetReplay(envelopeKey(req))
		return
	}
	b.ack(client, socketmode.Event{Request: req}, nil)
}

func (b *Bot) ack(client socketAcker, evt socketmode.Event, payload any) {
	var err error
	if payload == nil {
		err = client.Ack(*evt.Request)
	} else {
		raw, merr := json.Marshal(payload)
		if merr != nil {
			b.log.Error("encode socket mode ack", "err", merr)
			err = client.Ack(*evt.Request)
		} else {
			err = client.Ack(*evt.Request, json.RawMessage(raw))
		}
	}
	if err != nil {
		b.log.Warn("socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
	}
}
