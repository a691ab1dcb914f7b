package bot

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/slack-go/slack"
)

// One outbox run remembers the conversations Slack refused for good: an archived or
// deleted channel, the app removed from it, a person who cannot be messaged. No retry mends
// those until a person acts, so the rest of the run does not ask Slack about them again: a
// call to one fails at once with Slack's refusal, and the notification that needed it is
// retried together with the one that met the refusal. An archived approvals channel then
// costs one call per retry instead of one per queued notification, while everything else a
// notification does (its approvers' copies, a fallback to the channel when a person cannot
// be messaged) still happens, and each notification counts its attempts as before.

// refusedForGood are Slack's answers that a conversation cannot take a message now.
var refusedForGood = []string{
	"channel_not_found", "is_archived", "not_in_channel", // channels
	"cannot_dm_bot", "user_disabled", "user_not_found", "account_inactive", // people
}

// goneSet is the conversations refused in one outbox run, by conversation: a channel id,
// or "dm:" and a user id for a person's direct messages.
type goneSet map[string]*goneConversation

type goneConversation struct {
	err error     // Slack's refusal
	at  time.Time // when the notification that met it is retried; zero until known
}

type goneSetKey struct{}

func withGoneSet(ctx context.Context, g goneSet) context.Context {
	return context.WithValue(ctx, goneSetKey{}, g)
}

// conversationError is a refusal for good of conversation, met in this run: by this call,
// or by an earlier one (and this call was not made).
type conversationError struct {
	conversation string
	err          error
}

func (e *conversationError) Error() string { return e.err.Error() }
func (e *conversationError) Unwrap() error { return e.err }

// callIn makes call, a Slack call addressed to conversation, unless Slack refused that
// conversation for good earlier in this outbox run. Outside an outbox run it just calls.
func callIn(ctx context.Context, conversation string, call func() error) error {
	gone, _ := ctx.Value(goneSetKey{}).(goneSet)
	if gone == nil {
		return call()
	}
	if g := gone[conversation]; g != nil {
		return &conversationError{conversation: conversation, err: g.err}
	}
	err := call()
	if isRefusedForGood(err) {
		gone[conversation] = &goneConversation{err: err}
		return &conversationError{conversation: conversation, err: err}
	}
	return err
}

// retryWith returns when the notification that failed with err is tried again: with the
// one that met the refusal, if err is a refused conversation's, else at (which it records
// for those to come, if this one met the refusal).
func (g goneSet) retryWith(err error, at time.Time) time.Time {
	var ce *conversationError
	if !errors.As(err, &ce) {
		return at
	}
	c := g[ce.conversation]
	if c == nil {
		return at
	}
	if c.at.IsZero() {
		c.at = at
	}
	return c.at
}

// isRefusedForGood reports whether err is Slack's refusal for good of a conversation
// (refusedForGood). callIn remembers such a conversation for the rest of an outbox run; an
// approver's copy or a Reveal DM refused so is skipped rather than retried, so it cannot
// hold back the approval message in the channel, which is what approvers go by; retrying
// would only end in a dead letter days later.
func isRefusedForGood(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && slices.Contains(refusedForGood, se.Err)
}
