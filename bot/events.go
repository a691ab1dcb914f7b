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
		if ok && (b.foreign("event", cb.TeamID, cb.APIAppID, "") || b.events.seen(cb.EventID, b.now())) {
			// For another workspace (acknowledged, so Slack does not retry it, and
			// dropped), or a retry of an event already taken.
			return "", nil
		}
		if err := b.handleInnerEvent(ev.InnerEvent); err != nil {
			if ok {
				b.events.forget(cb.EventID) // Slack's retry must be taken
			}
			return "", errNotTaken
		}
	}
	return "", nil
}

// errNotTaken answers an event cakegate could not take now: Slack delivers it again.
var errNotTaken = errors.New("event not taken; deliver it again")

// handleInnerEvent starts work on one event. An error means the event was not taken (a
// leak, or a deactivation, could not be recorded) and must not be acknowledged.
func (b *Bot) handleInnerEvent(inner slackevents.EventsAPIInnerEvent) error {
	switch e := inner.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" || e.Tab == "" {
			b.async(func(ctx context.Context) { b.publishHome(ctx, e.User) })
		}
	case *slackevents.UserChangeEvent:
		return b.userChanged(e)
	case *slackevents.MessageEvent:
		return b.scanMessage(e)
	}
	return nil
}

// eventDedupe remembers event ids for longer than Slack's retry window (5 minutes), so a
// retried event is handled once.
type eventDedupe struct {
	mu  sync.Mutex
	ttl time.Duration
	ids map[string]time.Time
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
	if len(d.ids) > 10000 {
		for k, at := range d.ids {
			if now.Sub(at) > d.ttl {
				delete(d.ids, k)
			}
		}
	}
	if at, ok := d.ids[id]; ok && now.Sub(at) <= d.ttl {
		return true
	}
	d.ids[id] = now
	return false
}
