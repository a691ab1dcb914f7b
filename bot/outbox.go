package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Outbox delivery: the use cases queue notifications in the same transaction as the state
// change; DeliverOutbox sends them. A failure leaves the notification queued for a later
// attempt (after Slack's Retry-After on a 429), so a Slack outage or a restart loses nothing.
const (
	outboxBatch       = 50
	outboxRetryBase   = 5 * time.Second
	outboxRetryMax    = time.Hour
	outboxMaxAttempts = 60 // about two and a half days at the maximum interval
)

// Kick asks the outbox worker to deliver now rather than at its next tick.
func (b *Bot) Kick() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// RunOutbox delivers the outbox at start and whenever kicked (after each handled request,
// and by the scheduler's outbox job), until ctx ends.
func (b *Bot) RunOutbox(ctx context.Context) {
	for {
		b.deliverOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
	}
}

// deliverOnce runs DeliverOutbox once; a panic in one run (a notification that trips a bug)
// is recovered, so the worker lives on to deliver the rest.
func (b *Bot) deliverOnce(ctx context.Context) {
	defer b.recovered(PanicOutbox)
	if _, err := b.DeliverOutbox(ctx); err != nil && ctx.Err() == nil {
		b.log.Error("deliver outbox", "err", err)
	}
}

// DeliverOutbox sends every due notification once and reports how many were delivered.
// Runs never overlap: notifications about one request are delivered in order. The store
// hands out security notices before routine ones; a 429 holds back only the conversation
// it came for (see outboxTarget), so one busy channel does not delay the rest.
func (b *Bot) DeliverOutbox(ctx context.Context) (int, error) {
	b.deliverMu.Lock()
	defer b.deliverMu.Unlock()
	// The Home tabs showing what changed are re-published once the run is done.
	homes := b.newHomeRefresh()
	defer homes.flush()
	delivered := 0
	// held are notifications left due because their conversation is paused: they stay at
	// the front of the queue, so each page asks for that many more.
	held := map[uint64]bool{}
	// gone are the conversations Slack refused for good in this run (outbox_gone.go).
	gone := goneSet{}
	ctx = withGoneSet(ctx, gone)
	for {
		// A burst from Slack is acknowledged first, then a page of messages is sent: once a
		// page, so a steady stream of deliveries slows the outbox by ackHoldMax a page at most.
		b.ackFirst.wait()
		limit := len(held) + outboxBatch
		due, err := b.outbox.DueNotifications(ctx, b.now(), limit)
		if err != nil {
			return delivered, fmt.Errorf("read outbox: %w", err)
		}
		if len(due) == 0 {
			return delivered, nil
		}
		progress := false
		for _, n := range due {
			if err := ctx.Err(); err != nil {
				return delivered, err
			}
			if held[n.ID] {
				continue
			}
			r, target, err := b.outboxTarget(ctx, n)
			if err == nil && b.now().Before(b.pausedUntil[target]) {
				held[n.ID] = true // Slack asked us to wait with this conversation
				continue
			}
			if err == nil {
				err = b.deliver(ctx, n, r)
			}
			if err == nil {
				delivered++
				progress = true
				homes.delivered(n)
				if err := b.outbox.CompleteNotification(ctx, n.ID); err != nil {
					return delivered, fmt.Errorf("complete notification %d: %w", n.ID, err)
				}
				continue
			}
			if n.Attempts+1 >= outboxMaxAttempts {
				b.log.Error("giving up on a notification", "notification", n.ID, "request", n.Request.String(), "kind", string(n.Kind), "attempts", n.Attempts+1, "err", err)
				if derr := b.deadLetter(ctx, n, err); derr != nil {
					// Keep it queued: the dead letter is retried with it next run.
					return delivered, fmt.Errorf("dead-letter notification %d: %w", n.ID, derr)
				}
				progress = true
				if err := b.outbox.CompleteNotification(ctx, n.ID); err != nil {
					return delivered, fmt.Errorf("drop notification %d: %w", n.ID, err)
				}
				continue
			}
			at := gone.retryWith(err, b.now().Add(retryDelay(n.Attempts+1, err, b.jitter)))
			b.log.Warn("notification not delivered; will retry", "request", n.Request.String(), "kind", string(n.Kind), "notification", n.ID, "retry_at", at, "err", err)
			if err := b.outbox.RetryNotification(ctx, n.ID, at, err.Error()); err != nil {
				return delivered, fmt.Errorf("reschedule notification %d: %w", n.ID, err)
			}
			progress = true
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) {
				// Slack asked us to slow down: the rest for this conversation waits
				// too, rather than hitting the limit again at once; others go on.
				if b.pausedUntil == nil {
					b.pausedUntil = map[string]time.Time{}
				}
				b.pausedUntil[target] = at
			}
		}
		if !progress || len(due) < limit {
			return delivered, nil
		}
	}
}

// outboxTarget loads the request n is about (nil for an alert that belongs to none) and
// names the conversation n goes to, for pausing after a 429: an approvals channel, or a
// person's direct messages.
func (b *Bot) outboxTarget(ctx context.Context, n commands.Notification) (*commands.Request, string, error) {
	switch {
	case n.Kind == commands.NotifyApprovers && n.Request == 0:
		return nil, b.svc.Policy.ApprovalsChannel, nil // an alert about no one request
	case n.Kind == commands.NotifyUser:
		return nil, "dm:" + n.To, nil
	case n.Kind == commands.NotifyReview || n.Kind == commands.NotifyReviewThread:
		return nil, b.svc.Policy.ReviewChannel(), nil
	}
	r, err := b.requests.Get(ctx, n.Request)
	if err != nil {
		return nil, "", fmt.Errorf("load %s: %w", n.Request, err)
	}
	switch n.Kind {
	case commands.NotifyRequester, commands.NotifyReminder:
		return r, "dm:" + r.Requester, nil
	case commands.NotifyApproverDM:
		return r, "dm:" + n.To, nil
	}
	return r, b.channelOf(r), nil
}

// retryDelay honours Slack's Retry-After on a 429, and otherwise backs off exponentially
// with jitter.
func retryDelay(attempt int, err error, jitter func(n time.Duration) time.Duration) time.Duration {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter
	}
	d := outboxRetryBase
	for i := 1; i < attempt && d < outboxRetryMax; i++ {
		d *= 2
	}
	d = min(d, outboxRetryMax)
	return d/2 + jitter(d/2+1)
}

// jitter picks a wait in [0, n) from Config.Rand, or the global source.
func (b *Bot) jitter(n time.Duration) time.Duration {
	if b.rand == nil {
		return rand.N(n)
	}
	return time.Duration(b.rand.Int64N(int64(n)))
}

// deliver sends one notification about r (nil for an alert or a message to a user with no
// request), rendered from the request's current state.
func (b *Bot) deliver(ctx context.Context, n commands.Notification, r *commands.Request) error {
	if n.Kind == commands.NotifyApprovers && r == nil {
		// Alerts may belong to no request (reconcile's reports); they carry their text.
		channel := b.svc.Policy.ApprovalsChannel
		return callIn(ctx, channel, func() error {
			_, _, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(b.named(n.Text), false))
			return err
		})
	}
	if n.Kind == commands.NotifyUser {
		return b.dm(ctx, n.To, n.Text, nil)
	}
	if n.Kind == commands.NotifyReview {
		return b.showReview(ctx, n.Review)
	}
	if n.Kind == commands.NotifyReviewThread {
		return b.replyInReview(ctx, n.Review, n.Text)
	}
	switch n.Kind {
	case commands.NotifyApprovers:
		// About one request: where that request's approvers read.
		channel := b.channelOf(r)
		return callIn(ctx, channel, func() error {
			_, _, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(b.named(n.Text), false))
			return err
		})
	case commands.NotifyApprovalRequest:
		return b.showApproval(ctx, r, true)
	case commands.NotifyApprovalUpdate:
		return b.showApproval(ctx, r, b.svc.Policy.NotifyModeOf(b.roleOf(r)).InChannel())
	case commands.NotifyApproverDM:
		return b.sendApproverDM(ctx, r, n)
	case commands.NotifyApprovalThread:
		return b.replyInThread(ctx, r, n.Text)
	case commands.NotifyRequester:
		err := b.dm(ctx, r.Requester, n.Text, nil)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			// Slack refuses to DM them (cannot_dm_bot, user_disabled, …), which no retry
			// mends: tell them where the approvers read, so the news is not lost. The
			// notices carry no secret.
			b.log.Warn("requester cannot be messaged directly; telling them in the approvals channel", "request", r.ID.String(), "err", err)
			channel := b.channelOf(r)
			err = callIn(ctx, channel, func() error {
				_, _, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(commands.Mention(r.Requester)+": "+b.named(n.Text), false))
				return err
			})
		}
		return err
	case commands.NotifyReveal:
		if r.State != commands.StateApproved {
			return nil // revealed, cancelled or lapsed since
		}
		return b.sendRevealDM(ctx, r)
	case commands.NotifyScrubTokenDM:
		return b.scrubTokenDMs(ctx, r)
	case commands.NotifyReminder:
		if r.State != commands.StateActive || r.Grant == nil {
			return nil // ended since: a reminder would only confuse
		}
		fallback, blocks := ReminderMessage(r, r.Grant.ExpiresAt.Sub(b.now()), b.now())
		return b.dm(ctx, r.Requester, fallback, blocks)
	}
	b.log.Error("unknown notification kind; dropped", "kind", string(n.Kind), "request", n.Request.String())
	return nil
}

// showApproval posts the approval message of r in its role's approvals channel (when post
// is true), or updates it where it was posted, and updates every copy approvers got by
// direct message. Both the first post and every update render the current state, so
// delivering them out of order or twice still leaves every copy right.
func (b *Bot) showApproval(ctx context.Context, r *commands.Request, post bool) error {
	fallback, blocks := ApprovalMessage(r, b.now())
	fallback, blocks = b.named(fallback), b.namedBlocks(blocks)
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if err := b.updateCopies(ctx, r, opts); err != nil {
		return err
	}
	if err := b.updateRevealDM(ctx, r); err != nil {
		return err
	}
	if !r.Message.IsZero() {
		err := callIn(ctx, r.Message.Channel, func() error {
			_, _, _, err := b.slack.UpdateMessageContext(ctx, r.Message.Channel, r.Message.TS, opts...)
			return err
		})
		var se slack.SlackErrorResponse
		if err == nil || !(errors.As(err, &se) && se.Err == "message_not_found") {
			return err
		}
		// Deleted in Slack: post it afresh.
	} else if !post {
		return nil // the role's approvers are asked by direct message only
	}
	channel, ts := b.channelOf(r), ""
	err := callIn(ctx, channel, func() (err error) {
		channel, ts, err = b.slack.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return err
	}
	return b.svc.RecordMessage(ctx, r.ID, commands.MessageRef{Channel: channel, TS: ts})
}
