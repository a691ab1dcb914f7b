package bot

import (
	"context"
)

// userZone is user's time zone as Slack's users.info gives it (an IANA name), for starts
// written as wall times; "" when Slack cannot say, and commands then asks for an offset.
func (b *Bot) userZone(ctx context.Context, user string) string {
	u, err := b.slack.GetUserInfoContext(ctx, user)
	if err != nil {
		b.log.Warn("time zone of a requester: users.info", "user", user, "err", err)
		return ""
	}
	return u.TZ
}
