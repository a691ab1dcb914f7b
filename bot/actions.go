package bot

import (
	"strings"

	"github.com/cakegate/cakegate/commands"
	"github.com/slack-go/slack"
)

// Action ids of cakegate's buttons. The button's value is the request id and the version of
// the request the button was shown with ("R42;pending", see buttonValue), so a click needs
// no state beyond the stored request, and a stale or replayed one is refused.
const (
	ActionApprove = "cakegate_approve"
	ActionDeny    = "cakegate_deny"
	ActionRevoke  = "cakegate_revoke"
	ActionExtend  = "cakegate_extend"
	ActionCancel  = "cakegate_cancel"
	// ActionReveal creates the token of an approved request and shows it in a modal; on
	// an active one it offers Re-issue.
	ActionReveal = "cakegate_reveal"
	// ActionReissue, in the Re-issue modal, replaces the token of an active grant.
	ActionReissue = "cakegate_reissue"
)

// buttonValue is what a button or form about r carries: its id and the version it shows.
func buttonValue(r *commands.Request) string { return r.ID.String() + ";" + r.Version() }

// idButton is a button whose value is the request id alone, for actions whose meaning does
// not depend on what the button showed (a nudge, the requester's Reveal and Re-issue, which
// commands checks against the request as it is now).
func idButton(actionID, text string, id commands.RequestID, style slack.Style) *slack.ButtonBlockElement {
	return valueButton(actionID, text, id.String(), style)
}

// parseButtonValue reads a button's value or a form's private_metadata. A value without a
// version (a button posted before buttons carried one) reads as version "", which matches
// no request: the click is refused as changed, with what is pending now.
func parseButtonValue(v string) (commands.RequestID, string, error) {
	idText, version, _ := strings.Cut(v, ";")
	id, err := commands.ParseRequestID(idText)
	return id, version, err
}
