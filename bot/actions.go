package bot

// Action ids of cakegate's buttons. The button's value is the request id ("R42"), so a click
// needs no state beyond the stored request.
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
