package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// publishHome answers app_home_opened: user is looking at their Home tab, so it is shown
// afresh, and they are remembered, so that an approver's queue is refreshed while it changes.
func (b *Bot) publishHome(ctx context.Context, user string) {
	if user == "" {
		return
	}
	b.home.opened(user, b.now())
	b.showHome(ctx, user)
}

// showHome publishes user's Home tab from the current state. Publishes of one user's tab
// never overlap: a call while one is under way has that one publish again when it is done,
// so the tab ends up showing the latest state and no older one overtakes it.
func (b *Bot) showHome(ctx context.Context, user string) {
	if user == "" || !b.home.claim(user) {
		return
	}
	released := false
	defer func() {
		if !released {
			b.home.abandon(user)
		}
	}()
	for ctx.Err() == nil {
		b.publishHomeOnce(ctx, user)
		if b.home.release(user) {
			released = true
			return
		}
	}
}

// publishHomeOnce renders user's Home tab and sends it to Slack. While Slack asks to wait
// (a 429 on views.publish) the tab is owed instead, and a 429 makes it owed: it goes out
// with the state of then once the wait is over (armHomeWake), delayed, never dropped.
// Other failures are logged: the tab keeps its last content until the next change or the
// next time it is opened.
func (b *Bot) publishHomeOnce(ctx context.Context, user string) {
	if b.home.paused(b.now()) {
		b.home.owe(user)
		b.armHomeWake()
		return
	}
	opening := b.home.opening(user)
	view := HomeView(b.homeFor(ctx, user), b.now())
	b.namedBlocks(view.Blocks.BlockSet)
	// A tab that would show what Slack shows already is not sent again: a busy
	// workspace's refreshes would otherwise spend Slack's views.publish limit on nothing.
	sum := digest(view)
	if b.home.shows(user, sum) {
		return
	}
	if _, err := b.slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait := max(rl.RetryAfter, time.Second)
			b.log.Warn("app home: publish rate limited; will publish again", "user", user, "retry_after", wait)
			b.home.limited(user, b.now().Add(wait))
			b.armHomeWake()
			return
		}
		b.log.Warn("app home: publish", "user", user, "err", err)
		b.home.published(user, "", opening)
		return
	}
	b.home.published(user, sum, opening)
}

// digest is a digest of what v (a view, a message) says as Slack is sent it, to tell
// whether it changed since it was last sent; "" when it cannot be encoded, never equal to
// a digest, so it is sent.
func digest(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return string(sum[:])
}

// homeFor reads what user's Home tab shows. What cannot be read is said on the tab.
func (b *Bot) homeFor(ctx context.Context, user string) Home {
	h := Home{
		Notice:        b.home.notice(user, b.now()),
		CommandName:   b.name,
		RequestAction: ActionOpenRequest,
	}
	if b.svc.Policy != nil {
		templates, err := b.svc.Templates(ctx, user)
		if err != nil {
			// A user group that cannot be read just now: the tab goes without the buttons.
			b.log.Warn("app home: templates", "user", user, "err", err)
		}
		h.Templates = templates
	}
	rs, err := b.svc.List(ctx, user)
	if err != nil {
		b.logHomeError("list requests", user, err)
		h.RequestsErr = commands.UserMessage(err)
	} else {
		h.Requests = rs
	}
	if !b.mayApproveAny(ctx, user) {
		// Requesters are the many: spare them the scan of everything pending.
		return h
	}
	h.Approver = true
	h.Access = b.homeAccess()
	waiting, err := b.svc.Pending(ctx, user)
	if err != nil {
		b.logHomeError("pending requests", user, err)
		h.WaitingErr = commands.UserMessage(err)
	} else {
		h.Waiting = waiting
	}
	return h
}

func (b *Bot) logHomeError(what, user string, err error) {
	if commands.ErrorCode(err) == commands.CodeInternal {
		b.log.Error("app home: "+what, "user", user, "err", err)
		return
	}
	b.log.Warn("user warned", "user", user, "warning", b.named(commands.UserMessage(err)), "while", "app home: "+what, "err", err)
}

// mayApproveAny reports whether user approves any role, as commands decides it. An error
// (a user group that cannot be read just now) counts as no: the tab shows their own part.
func (b *Bot) mayApproveAny(ctx context.Context, user string) bool {
	if b.svc.Policy == nil {
		return false
	}
	ok, err := b.svc.ApprovesAnyRole(ctx, user)
	if err != nil {
		b.log.Warn("app home: approvers", "user", user, "err", err)
	}
	return ok && err == nil
}
