package bot

import (
	"strings"

	"github.com/cakegate/cakegate/commands"
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
)

// buttonValue is what a button or form about r carries: its id and the version it shows.
func buttonValue(r *commands.Request) string { return r.ID.String() + ";" + r.Version() }

// parseButtonValue reads a button's value or a form's private_metadata. A value without a
// version (a button posted before buttons carried one) reads as version "", which matches
// no request: the click is refused as changed, with what is pending now.
func parseButtonValue(v string) (commands.RequestID, string, error) {
	idText, version, _ := strings.Cut(v, ";")
	id, err := commands.ParseRequestID(idText)
	return id, version, err
}
