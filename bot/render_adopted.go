package bot

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// adoptedReminder is the reminder to the owner of an adopted API user that cakegate deletes
// it at when: Extend, or Delete now (a revoke, confirmed).
func adoptedReminder(r *commands.Request, when string) (string, []slack.Block) {
	name := "an API user"
	if r.Grant != nil {
		name = r.Grant.APIUserName
	}
	var s blockSet
	s.section(r.ID.String()+"_reminder", fmt.Sprintf(
		":hourglass_flowing_sand: cakegate deletes the API user *%s* you own (%s, adopted) %s.\nExtend it if it is still needed, or delete it now if not.",
		escapeLimit(name, 120), r.ID, when))
	s.actions(r.ID.String()+"_reminder_actions",
		button(ActionExtend, "Extend", r, slack.StylePrimary),
		confirmedButton(r, "Delete now", "Delete "+truncateRunes(name, 60)+"?", "Its token stops working at once, for whoever uses it.", "Delete"))
	if r.Extension != nil {
		s.context(r.ID.String()+"_reminder_extension", "An extension by "+commands.FormatDuration(r.Extension.Duration)+" is waiting for approval.")
	}
	return fmt.Sprintf("cakegate deletes the API user %s you own (%s) %s.", escapeLimit(name, 100), r.ID, when), s.blocks
}
