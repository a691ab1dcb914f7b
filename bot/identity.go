package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/slack-go/slack"
)

// Identity is the Slack workspace (team), enterprise and app cakegate serves. A request
// signed with cakegate's secret, or arriving on its Socket Mode connection, may still be
// for another workspace the app is installed in, or another org of an enterprise: it is
// refused, since the policy's approvers, channels and user ids belong to this one.
type Identity struct {
	TeamID       string
	AppID        string
	EnterpriseID string // "" outside Enterprise Grid
}

// ErrIdentityMismatch is LearnIdentity's answer when the bot token belongs to another team,
// app or enterprise than the settings pin.
var ErrIdentityMismatch = errors.New("the bot token belongs to another Slack workspace or app than the settings pin")

// ErrForeign refuses a request for another team, enterprise or app than cakegate's.
var ErrForeign = errors.New("this request is for another Slack workspace or app than cakegate serves")

// identityState is what the bot knows of its identity; the zero value knows nothing yet.
type identityState struct {
	mu    sync.RWMutex
	known bool
	id    Identity
}

// LearnIdentity asks Slack which team, enterprise (auth.test) and app (bots.info) the bot
// token belongs to, checks them against the pins of Config.Identity, and from then on
// refuses every request for another. Until it has run, nothing is refused on these grounds:
// call it before serving.
func (b *Bot) LearnIdentity(ctx context.Context) (Identity, error) {
	auth, err := b.slack.AuthTestContext(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("ask Slack who the bot is (auth.test): %w", err)
	}
	return b.AdoptIdentity(ctx, auth)
}

// AdoptIdentity is LearnIdentity from an auth.test answer the caller already has (the
// health check asks auth.test anyway): it asks bots.info for the app and checks the pins.
func (b *Bot) AdoptIdentity(ctx context.Context, auth *slack.AuthTestResponse) (Identity, error) {
	learnt := Identity{TeamID: auth.TeamID, EnterpriseID: auth.EnterpriseID, AppID: b.pin.AppID}
	if auth.BotID != "" {
		bot, err := b.slack.GetBotInfoContext(ctx, slack.GetBotInfoParameters{Bot: auth.BotID})
		switch {
		case err == nil:
			learnt.AppID = bot.AppID
		case b.pin.AppID == "":
			return Identity{}, fmt.Errorf("ask Slack which app the bot is (bots.info): %w; or set the app id", err)
		}
	}
	for _, c := range []struct{ what, pinned, learnt string }{
		{"team", b.pin.TeamID, learnt.TeamID},
		{"app", b.pin.AppID, learnt.AppID},
		{"enterprise", b.pin.EnterpriseID, learnt.EnterpriseID},
	} {
		if c.pinned != "" && c.pinned != c.learnt {
			return Identity{}, fmt.Errorf("%w: it belongs to %s %q, but the settings pin %q", ErrIdentityMismatch, c.what, c.learnt, c.pinned)
		}
	}
	if learnt.TeamID == "" {
		return Identity{}, errors.New("auth.test named no team")
	}
	b.identity.mu.Lock()
	b.identity.known, b.identity.id = true, learnt
	b.identity.mu.Unlock()
	b.log.Info("serving Slack", "team", learnt.TeamID, "app", learnt.AppID, "enterprise", learnt.EnterpriseID)
	return learnt, nil
}

// Identity is what LearnIdentity learned, and whether it has run.
func (b *Bot) Identity() (Identity, bool) {
	b.identity.mu.RLock()
	defer b.identity.mu.RUnlock()
	return b.identity.id, b.identity.known
}

// foreign reports whether a request names another team, app or enterprise than cakegate's,
// and logs the refusal. Slack names the team in every request; app and enterprise are
// compared where the request names them.
func (b *Bot) foreign(kind string, team, app, enterprise string) bool {
	b.identity.mu.RLock()
	known, id := b.identity.known, b.identity.id
	b.identity.mu.RUnlock()
	if !known {
		return false
	}
	if team == id.TeamID && (app == "" || app == id.AppID) && (enterprise == "" || enterprise == id.EnterpriseID) {
		return false
	}
	b.log.Warn("refused a request for another Slack workspace or app", "kind", kind,
		"team", team, "app", app, "enterprise", enterprise, "serving_team", id.TeamID, "serving_app", id.AppID)
	return true
}
