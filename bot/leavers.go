package bot

import (
	"context"
	"errors"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// IsActive asks Slack (users.info) whether user can still use Slack. A deactivated user,
// or one Slack no longer knows, is not active. It implements commands.Directory.
func (b *Bot) IsActive(ctx context.Context, user string) (bool, error) {
	u, err := b.slackUser(ctx, user)
	if u == nil || err != nil {
		return false, err
	}
	return !u.Deleted, nil
}

// userChanged answers a user_change event: a user whose account was deactivated loses
// every grant and waiting request at once. The loss is recorded before the event is
// acknowledged (store writes only, bounded as a leak's marks are), because Slack does not
// deliver an acknowledged event again: a write that fails then must not leave the leaver
// their access until the next leavers sweep. It returns an error when it could not be
// recorded; the event is then not acknowledged, and Slack delivers it again. Deleting the
// API users follows in the background.
func (b *Bot) userChanged(e *slackevents.UserChangeEvent) error {
	if e.User.ID == "" {
		return nil
	}
	if !e.User.Deleted {
		// Back, or never gone: a deactivation recorded for them no longer holds. If this
		// fails, their next request asks Slack instead.
		ctx, cancel := context.WithTimeout(context.Background(), leakMarkTimeout)
		defer cancel()
		if err := b.svc.Reactivated(ctx, e.User.ID); err != nil {
			b.log.Warn("reactivated user: could not forget their deactivation", "user", e.User.ID, "err", err)
		}
		return nil
	}
	user := e.User.ID
	ctx, cancel := context.WithTimeout(context.Background(), leakMarkTimeout)
	marked, res, err := b.svc.MarkDeactivated(ctx, user)
	cancel()
	if err != nil {
		b.log.Error("deactivated user: not all of their access could be ended; Slack will deliver the event again", "user", user, "err", err)
	}
	b.async(func(ctx context.Context) { b.finishDeactivation(ctx, user, marked, res) })
	return err
}

// endAccessOf ends every grant and waiting request of user, whose Slack account is
// deactivated.
func (b *Bot) endAccessOf(ctx context.Context, user string) {
	marked, res, err := b.svc.MarkDeactivated(ctx, user)
	if err != nil {
		b.log.Error("end the access of a deactivated user", "user", user, "err", err)
	}
	b.finishDeactivation(ctx, user, marked, res)
}

// finishDeactivation deletes the API users of the grants MarkDeactivated moved to revoking,
// says so, and has the notifications it queued delivered.
func (b *Bot) finishDeactivation(ctx context.Context, user string, marked []*commands.Request, res commands.SweepResult) {
	b.svc.FinishDeactivated(ctx, marked)
	if res.Done > 0 {
		b.log.Info("user deactivated in Slack; access ended", "user", user, "requests", res.Done)
	}
	b.Kick()
}

// disabledAnswer takes Slack's user_disabled, met when cakegate tried to message user, as a
// sign that the account was deactivated and the user_change event missed. It asks Slack
// (users.info) in the background and, unless Slack says the account is active, ends the
// user's access now rather than at the next leavers sweep. An account Slack says is active
// keeps its access: ending it would also record the person as gone, and refuse their
// requests, on the word of one refused message. A queue of messages to a leaver asks once,
// not once per message: again only after disabledRecheck.
func (b *Bot) disabledAnswer(user string, err error) {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "user_disabled" || user == "" {
		return
	}
	now := b.now()
	b.disabledMu.Lock()
	last, seen := b.disabledAt[user]
	if seen && now.Sub(last) < disabledRecheck {
		b.disabledMu.Unlock()
		return
	}
	if b.disabledAt == nil {
		b.disabledAt = map[string]time.Time{}
	}
	b.disabledAt[user] = now
	b.disabledMu.Unlock()
	b.async(func(ctx context.Context) {
		// If Slack cannot say, the refusal stands: a leaver must not keep access because
		// users.info failed once.
		if active, err := b.IsActive(ctx, user); err == nil && active {
			b.log.Warn("Slack refused a direct message as user_disabled but says the account is active; its access stays", "user", user)
			return
		}
		b.log.Info("Slack says the account is deactivated; ending its access", "user", user)
		b.endAccessOf(ctx, user)
	})
}

// disabledRecheck is how long a user_disabled answer about one user is not acted on again.
const disabledRecheck = 10 * time.Minute
