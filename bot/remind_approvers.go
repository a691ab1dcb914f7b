package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// ActionRemindApprovers is the requester's "Remind approvers" button, on the confirmation of
// a request and on the Home tab. Its value is the request id.
const ActionRemindApprovers = "cakegate_remind_approvers"

// remindApproversButton lets the requester nudge the approvers of a pending request;
// commands decides whether it is too soon. Unlike a decision, a nudge means the same
// whatever changed since the button was shown, so its value is the id alone.
func remindApproversButton(id commands.RequestID) *slack.ButtonBlockElement {
	return idButton(ActionRemindApprovers, "Remind approvers", id, "")
}

// requestConfirmationMessage is what the requester reads after asking: the confirmation,
// and while the request waits, a button to remind the approvers.
func requestConfirmationMessage(r *commands.Request) message {
	text := requestConfirmation(r)
	if r.State != commands.StatePending {
		return message{fallback: text}
	}
	var s blockSet
	s.section(r.ID.String()+"_confirmation", text)
	s.actions(r.ID.String()+"_confirmation_actions", remindApproversButton(r.ID))
	return message{fallback: text, blocks: s.blocks}
}

// remindApprovers runs a click on "Remind approvers", answering where the click was: on the
// Home tab as its notice, elsewhere privately.
func (b *Bot) remindApprovers(ctx context.Context, cb slack.InteractionCallback, to replyTo, value string) {
	user := cb.User.ID
	answer := func(text string) {
		if isHomeClick(cb) {
			b.home.setNotice(user, text, b.now())
			b.showHome(ctx, user)
			return
		}
		b.replyText(ctx, to, text)
	}
	id, err := commands.ParseRequestID(value)
	if err == nil {
		_, err = b.svc.RemindApprovers(ctx, id, user)
	}
	if err != nil {
		if commands.ErrorCode(err) == commands.CodeInternal {
			b.log.Error("remind approvers", "user", user, "err", err)
		}
		answer(":warning: " + commands.UserMessage(err))
		return
	}
	answer(":bell: I reminded the approvers of " + id.String() + ". You can do it again in an hour.")
}
