package bot

import (
	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// reasonInput is the request form's reason field, shaped by the chosen role's rule: its
// hint says what a good reason looks like (a ticket id, say) before the requester is
// refused for it, and a role that does not require a reason makes the field optional.
// With no role chosen yet the field is required, as most roles require it.
// A template's reason hint replaces the role's.
func reasonInput(role *commands.Role, tpl *commands.Template) *slack.InputBlock {
	reason := slack.NewPlainTextInputBlockElement(plainText("What do you need it for?"), reasonActionID)
	reason.Multiline = true
	reason.MaxLength = commands.MaxReasonLength
	hint := "Approvers see this."
	optional := false
	if role != nil {
		reason.MinLength = role.Reason.MinLength
		optional = role.Reason.Optional
		if role.Reason.Hint != "" {
			hint = role.Reason.Hint + " " + hint
		}
	}
	if tpl != nil && tpl.ReasonHint != "" {
		hint = tpl.ReasonHint + " Approvers see this."
	}
	in := slack.NewInputBlock(commands.FieldReason, plainText("Reason"), plainText(truncateRunes(hint, 2000)), reason)
	in.Optional = optional
	return in
}
