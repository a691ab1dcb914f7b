package bot

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// goneConversation is a conversation Slack refused in this outbox run, and when the
// notification it refused is tried again.
type goneConversation struct {
	err error
	at  time.Time
}

// Slack's answers that no retry mends until a person acts: the channel was archived or
// deleted or the app removed from it, or the person cannot be messaged.
var (
	channelGoneErrors = []string{"channel_not_found", "is_archived", "not_in_channel"}
	dmGoneErrors      = []string{"cannot_dm_bot", "user_disabled", "user_not_found", "account_inactive"}
)

// conversationGone says whether err means target (an outboxTarget name) cannot take any
// message now. The rest queued for it then wait with the notification that met the error,
// and are tried again together: an archived approvals channel costs one call per retry
// rather than one per queued notification, and every notification still counts its
// attempts, so each is dead-lettered as it would have been.
func conversationGone(target string, err error) bool {
	var se slack.SlackErrorResponse
	if target == "" || !errors.As(err, &se) {
		return false
	}
	if strings.HasPrefix(target, "dm:") {
		return slices.Contains(dmGoneErrors, se.Err)
	}
	return slices.Contains(channelGoneErrors, se.Err)
}
