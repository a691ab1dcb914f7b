package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// IsPerson reports whether user is an active person in Slack: not deactivated, not a bot
// or an app, not Slackbot. An adopted API user's owner must be one, to be reminded and to
// answer for it. It implements commands.People.
func (b *Bot) IsPerson(ctx context.Context, user string) (bool, error) {
	u, err := b.slackUser(ctx, user)
	if u == nil || err != nil {
		return false, err
	}
	return !u.Deleted && !u.IsBot && !u.IsAppUser && u.ID != "USLACKBOT", nil
}

// slackUser asks Slack (users.info) about user: nil, without an error, for a user Slack no
// longer knows or whose account is gone.
func (b *Bot) slackUser(ctx context.Context, user string) (*slack.User, error) {
	u, err := b.slack.GetUserInfoContext(ctx, user)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "account_inactive") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ask Slack about %s: %w", user, err)
	}
	return u, nil
}
