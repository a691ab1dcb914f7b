package bot

import (
	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// startInput is the request form's optional start field: empty starts the access as soon as
// it is approved; a wall time is read in the requester's Slack time zone, named in the hint.
func startInput(form requestForm) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plainText("09:00 · tomorrow 09:00 · mon 09:00"), startActionID)
	el.MaxLength = commands.MaxStartText
	hint := "Leave empty to start as soon as it is approved. Reveal works from the start, and the token ends by start + duration."
	if form.Zone != "" {
		hint += " Times are in your Slack time zone, " + form.Zone + "."
	} else {
		hint += " Give the time with its offset, like 2026-12-07T09:00:00+01:00."
	}
	in := slack.NewInputBlock(form.block(commands.FieldStart), plainText("Start"), plainText(truncateRunes(hint, 2000)), el)
	in.Optional = true
	return in
}
