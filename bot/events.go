package bot

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack/slackevents"
)

// acceptEvent takes a verified Events API body. It returns the challenge to echo for
// url_verification; other events are acknowledged and handled afterwards.
func (b *Bot) acceptEvent(body []byte) (challenge string, err error) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		if m, ok := readUndecodedMessage(body); ok {
			return "", b.takeUndecodedMessage(m)
		}
		return "", err
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var v slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &v); err != nil {
			return "", err
		}
		return v.Challenge, nil
	case slackevents.CallbackEvent:
		cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
		if !ok {
			return "", nil
		}
		return "", b.takeCallback(cb.TeamID, cb.APIAppID, cb.EventID, func() error {
			return b.handleInnerEvent(ev.InnerEvent, innerJSON(cb))
		})
	}
	return "", nil
}

// takeCallback runs handle for an event_callback, unless it is for another workspace or a
// repeat of an event already taken: those are dropped (and acknowledged, so that Slack does
// not send them again). When handle fails the event was not taken: errNotTaken, and the
// event id is forgotten, so that Slack's next delivery of it is taken.
func (b *Bot) takeCallback(teamID, appID, eventID string, handle func() error) error {
	if b.foreign("event", teamID, appID, "") || b.events.seen(eventID, b.now()) {
		return nil
	}
	if err := handle(); err != nil {
		b.events.forget(eventID)
		return errNotTaken
	}
	return nil
}

// innerJSON is the inner event of cb as Slack sent it.
func innerJSON(cb *slackevents.EventsAPICallbackEvent) json.RawMessage {
	if cb.InnerEvent == nil {
		return nil
	}
	return *cb.InnerEvent
}

// errNotTaken answers an event cakegate could not take now: Slack delivers it again.
var errNotTaken = errors.New("event not taken; deliver it again")

// handleInnerEvent starts work on one event; raw is its JSON. An error means the event was
// not taken (a leak, or a deactivation, could not be recorded) and must not be
// acknowledged.
func (b *Bot) handleInnerEvent(inner slackevents.EventsAPIInnerEvent, raw json.RawMessage) error {
	switch e := inner.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" || e.Tab == "" {
			b.async(func(ctx context.Context) { b.publishHome(ctx, e.User) })
		}
	case *slackevents.UserChangeEvent:
		return b.userChanged(e)
	case *slackevents.MessageEvent:
		return b.scanMessage(raw)
	}
	return nil
}

// eventDedupe remembers event ids for longer than Slack's retry window (5 minutes), so a
// retried event is handled once.
type eventDedupe struct {
	mu  sync.Mutex
	ttl time.Duration
	ids map[string]time.Time
	// order has the ids as they were recorded, oldest first, so that the expired ones are
	// dropped from its front: a delivery costs the same however many are remembered (a
	// sweep of the whole map once it held 10,000 took most of an acknowledgement's time).
	order []dedupeEntry
}

type dedupeEntry struct {
	id string
	at time.Time
}

// forget drops id, so that a redelivery of an event that was not taken is handled.
func (d *eventDedupe) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.ids, id)
}

// seen records id and reports whether it had been recorded within ttl.
func (d *eventDedupe) seen(id string, now time.Time) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids == nil {
		d.ids = map[string]time.Time{}
	}
	for len(d.order) > 0 && now.Sub(d.order[0].at) > d.ttl {
		e := d.order[0]
		if at, ok := d.ids[e.id]; ok && at.Equal(e.at) {
			delete(d.ids, e.id) // not recorded afresh since
		}
		d.order = d.order[1:]
	}
	if at, ok := d.ids[id]; ok && now.Sub(at) <= d.ttl {
		return true
	}
	d.ids[id] = now
	d.order = append(d.order, dedupeEntry{id: id, at: now})
	return false
}
