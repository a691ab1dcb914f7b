package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// isHomeClick reports whether cb is a click on cakegate's Home tab rather than on a message
// or in a modal.
func isHomeClick(cb slack.InteractionCallback) bool {
	return cb.View.Type == slack.VTHomeTab || (cb.Container.Type == "view" && cb.View.CallbackID == homeCallbackID)
}

// handleHomeAction runs a button clicked on user's Home tab. Slack gives view clicks no
// response_url, so the outcome, or why nothing happened, is a notice at the top of the tab,
// which is published again at once. A click on a button gone stale (decided meanwhile by
// someone else) changes nothing and says so there.
func (b *Bot) handleHomeAction(ctx context.Context, cb slack.InteractionCallback, verb Verb, id commands.RequestID) {
	user := cb.User.ID
	var notice string
	switch verb {
	case VerbExtend:
		notice = b.homeExtend(ctx, cb.TriggerID, id, user)
	case VerbDeny:
		notice = b.homeDeny(ctx, cb.TriggerID, id, user)
	default:
		notice = b.homeDecide(ctx, verb, id, user)
	}
	if notice == "" {
		return // a form opened; the tab changes when it is submitted
	}
	b.home.setNotice(user, notice, b.now())
	b.showHome(ctx, user)
}

// homeDecide runs approve, cancel or revoke and says how it went.
func (b *Bot) homeDecide(ctx context.Context, verb Verb, id commands.RequestID, user string) string {
	var (
		r   *commands.Request
		err error
	)
	switch verb {
	case VerbApprove:
		r, err = b.svc.Approve(ctx, id, user)
	case VerbCancel:
		r, err = b.svc.Cancel(ctx, id, user)
	case VerbRevoke:
		r, err = b.svc.Revoke(ctx, id, user, "")
	default:
		err = fmt.Errorf("unhandled verb %q on the Home tab", verb)
	}
	if err != nil {
		return b.homeRefusal(user, err)
	}
	return decisionConfirmation(verb, r)
}

// homeDeny opens the form that asks for a reason to deny, once it is clear user may deny
// id; otherwise it says why not.
func (b *Bot) homeDeny(ctx context.Context, triggerID string, id commands.RequestID, user string) string {
	if _, err := b.svc.MayDecide(ctx, id, user); err != nil {
		return b.homeRefusal(user, err)
	}
	b.openDenyModal(ctx, replyTo{user: user}, triggerID, id, user)
	return ""
}

// homeExtend opens the extend form for id once commands says there is something to offer;
// otherwise the notice says why not, since a Home tab has nowhere else for the answer.
func (b *Bot) homeExtend(ctx context.Context, triggerID string, id commands.RequestID, user string) string {
	if _, _, _, err := b.svc.ExtensionRoom(ctx, id, user); err != nil {
		return b.homeRefusal(user, err)
	}
	b.openExtendModal(ctx, replyTo{user: user}, triggerID, id, user)
	return ""
}

// homeRefusal is the notice for a use case that refused or failed; internal failures are
// logged and the user reads an apology that leaks nothing.
func (b *Bot) homeRefusal(user string, err error) string {
	if commands.ErrorCode(err) == commands.CodeInternal {
		b.log.Error("app home action failed", "user", user, "err", err)
	}
	notice := ":warning: " + b.named(commands.UserMessage(err))
	b.warned(user, notice)
	return notice
}
