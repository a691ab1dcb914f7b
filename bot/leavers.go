package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// IsActive asks Slack (users.info) whether user can still use Slack. A deactivated user,
// or one Slack no longer knows, is not active. It implements commands.Directory.
func (b *Bot) IsActive(ctx context.Context, user string) (bool, error) {
	u, err := b.slack.GetUserInfoContext(ctx, user)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "account_inactive") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ask Slack about %s: %w", user, err)
	}
	return !u.Deleted, nil
}

// userChanged answers a user_change event: a user whose account was deactivated loses
// every grant and waiting request at once.
func (b *Bot) userChanged(e *slackevents.UserChangeEvent) {
	if !e.User.Deleted || e.User.ID == "" {
		return
	}
	user := e.User.ID
	b.async(func(ctx context.Context) {
		res, err := b.svc.Deactivated(ctx, user)
		if err != nil {
			b.log.Error("end the access of a deactivated user", "user", user, "err", err)
		}
		if res.Done > 0 {
			b.log.Info("user deactivated in Slack; access ended", "user", user, "requests", res.Done)
		}
		b.Kick()
	})
}
