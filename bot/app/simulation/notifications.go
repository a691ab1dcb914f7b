package simulation

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// invNotified: every queued notification is delivered, or dead-lettered with an alert once
// its retry budget is spent; none disappears. The simulation stands between the bot and its
// outbox (app.Options.WrapOutbox), so it sees each notification the bot took and how the bot
// settled it, and judges that against what reached the fake Slack.
const invNotified = "notification-delivered-or-dead-lettered"

// outboxBudget is the longest a notification may wait for its delivery before the outbox
// must have dead-lettered it: 60 attempts, most an hour apart, and Retry-After pauses.
const outboxBudget = 4 * 24 * time.Hour

// outboxWatch is what the simulation knows of the outbox: what was rescheduled, and since
// when each notification has waited.
type outboxWatch struct {
	w *World
	// retried are those rescheduled and not completed since: each must come back.
	retried map[uint64]commands.Notification
	// since is when each queued notification was first handed out from this database.
	since map[uint64]time.Time
}

func newOutboxWatch(w *World) *outboxWatch {
	return &outboxWatch{w: w, retried: map[uint64]commands.Notification{}, since: map[uint64]time.Time{}}
}

// nodeOutbox is one cakegate's outbox as its bot sees it, watched.
type nodeOutbox struct {
	*outboxWatch
	next bot.Outbox
	// handed are the notifications the bot read and has not settled yet.
	handed map[uint64]commands.Notification
	// calls and logs mark the Slack calls and log bytes already attributed to a delivery.
	calls, logs int
}

// wrap watches next, the outbox of a newly started cakegate.
func (o *outboxWatch) wrap(next bot.Outbox) bot.Outbox {
	return &nodeOutbox{outboxWatch: o, next: next, handed: map[uint64]commands.Notification{}}
}

// forget drops what a database that is no longer used had queued (a restore rewinds it).
func (o *outboxWatch) forget() {
	o.retried = map[uint64]commands.Notification{}
	o.since = map[uint64]time.Time{}
}

func (o *outboxWatch) broken(format string, args ...any) {
	o.w.model.broken = append(o.w.model.broken, violation{invNotified, fmt.Sprintf(format, args...)})
}

// DueNotifications hands out what is due, noting it. Deliveries happen one after another,
// so the Slack calls and log lines from here to a notification's settlement are its own.
func (o *nodeOutbox) DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error) {
	ns, err := o.next.DueNotifications(ctx, now, limit)
	if len(o.handed) == 0 {
		o.calls, o.logs = o.w.slack.CallCount(), o.w.logs.Len()
	}
	for _, n := range ns {
		since, ok := o.since[n.ID]
		if !ok {
			o.since[n.ID] = now
		} else if now.Sub(since) > outboxBudget {
			o.broken("notification %d (%s about %s) has waited since %s, past its retry budget, and was not dead-lettered", n.ID, n.Kind, n.Request, since.Format(time.DateTime))
		}
		o.handed[n.ID] = n
	}
	return ns, err
}

// RetryNotification reschedules a notification the bot could not deliver.
func (o *nodeOutbox) RetryNotification(ctx context.Context, id uint64, at time.Time, lastErr string) error {
	err := o.next.RetryNotification(ctx, id, at, lastErr)
	n, ok := o.handed[id]
	if !ok {
		o.broken("cakegate rescheduled notification %d, which it had not read", id)
	}
	if err == nil {
		delete(o.handed, id)
		o.retried[id] = n
	}
	o.calls, o.logs = o.w.slack.CallCount(), o.w.logs.Len()
	return err
}

// CompleteNotification drops a notification from the outbox: it must have been delivered,
// or dead-lettered.
func (o *nodeOutbox) CompleteNotification(ctx context.Context, id uint64) error {
	n, ok := o.handed[id]
	err := o.next.CompleteNotification(ctx, id)
	if err == nil {
		if !ok {
			o.broken("cakegate dropped notification %d, which it had not read", id)
		} else {
			o.judge(ctx, n)
		}
		delete(o.handed, id)
		delete(o.retried, id)
		delete(o.since, id)
	}
	o.calls, o.logs = o.w.slack.CallCount(), o.w.logs.Len()
	return err
}

// failedDelivery finds the outbox's log line about a failed delivery, naming its notification.
var failedDelivery = regexp.MustCompile(`msg="notification not delivered; will retry"[^\n]* notification=(\d+)`)

// judge checks that n, just dropped from the outbox, was delivered or dead-lettered.
func (o *nodeOutbox) judge(ctx context.Context, n commands.Notification) {
	w := o.w
	calls := w.slack.CallsSince(o.calls)
	logs := w.logs.Bytes()[min(o.logs, w.logs.Len()):]
	if bytes.Contains(logs, []byte("giving up on a notification")) && w.deadLettered(ctx, n.ID) {
		return
	}
	for _, m := range failedDelivery.FindAllSubmatch(logs, -1) {
		if string(m[1]) == fmt.Sprint(n.ID) {
			o.broken("notification %d (%s about %s) was dropped from the outbox after a failed delivery, neither retried nor dead-lettered", n.ID, n.Kind, n.Request)
			return
		}
	}
	switch n.Kind {
	case commands.NotifyRequester, commands.NotifyApprovers, commands.NotifyUser, commands.NotifyApprovalThread:
	default:
		return // rendered from the request: the calls above are judged by the bot's own tests
	}
	if n.Text == "" || slices.ContainsFunc(calls, func(c slacktest.Call) bool {
		return c.Method == "chat.postMessage" && c.OK() && strings.Contains(c.Params["text"], n.Text)
	}) {
		return
	}
	if n.Kind == commands.NotifyApprovalThread {
		if r, err := w.app.Store().Get(ctx, n.Request); err == nil && r.Message.IsZero() {
			return // no approval message to reply to: dropped by design
		}
	}
	o.broken("notification %d (%s about %s) was dropped from the outbox, but Slack never took its text %q", n.ID, n.Kind, n.Request, firstLine(n.Text))
}

// finalCheck: once the world is quiet and the outbox empty, nothing the bot rescheduled is
// missing: each came back and was delivered or dead-lettered.
func (o *outboxWatch) finalCheck(add func(string, string, ...any)) {
	ids := make([]uint64, 0, len(o.retried))
	for id := range o.retried {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := o.retried[id]
		add(invNotified, "notification %d (%s about %s) was rescheduled and never came back from the outbox", id, n.Kind, n.Request)
	}
}

// deadLettered reports whether the audit trail records giving up on notification id.
func (w *World) deadLettered(ctx context.Context, id uint64) bool {
	recent, err := w.app.Store().RecentAudit(ctx, 50)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(recent, func(e commands.AuditEvent) bool {
		return e.Action == "dead_letter" && strings.HasPrefix(e.Detail, fmt.Sprintf("notification %d:", id))
	})
}
