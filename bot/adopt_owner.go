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
	u, err := b.slack.GetUserInfoContext(ctx, user)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "account_inactive") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ask Slack about %s: %w", user, err)
	}
	return !u.Deleted && !u.IsBot && !u.IsAppUser && u.ID != "USLACKBOT", nil
}
