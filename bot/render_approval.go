package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// ApprovalMessage renders the message in the approvals channel for r in its current state.
// The same message is updated as r moves on: the buttons are those that make sense now, and
// a request that has ended has none.
func ApprovalMessage(r *commands.Request, now time.Time) (fallback string, blocks []slack.Block) {
	status := approvalStatus(r, now)
	var s blockSet
	s.header(r.ID.String()+"_header", requestTitle(r))
	s.fields(r.ID.String()+"_fields", requestFields(r)...)
	s.context(r.ID.String()+"_status", status)
	if esc := r.Escalation.Summary(); esc != "" {
		// Who was reminded and brought in, so the channel sees the request did not stall
		// in silence. The mentions come from the policy, not from a person's input.
		s.context(r.ID.String()+"_escalation", esc)
		status += " · " + esc
	}

	switch r.State {
	case commands.StatePending:
		s.actions(r.ID.String()+"_actions",
			button(ActionApprove, "Approve", r, slack.StylePrimary),
			button(ActionDeny, "Deny", r, slack.StyleDanger))
	case commands.StateApproved:
		s.actions(r.ID.String()+"_actions", withdrawButton(r))
	case commands.StateActive:
		s.actions(r.ID.String()+"_actions", revokeButton(r))
		if r.Extension != nil {
			s.context(r.ID.String()+"_extension", extensionStatus(r))
			s.actions(r.ID.String()+"_extension_actions",
				button(ActionApprove, "Approve extension", r, slack.StylePrimary),
				button(ActionDeny, "Deny extension", r, slack.StyleDanger))
		}
	}

	what := escapeLimit(r.Role, 100)
	if r.Template != "" {
		what += " (template " + escapeLimit(r.Template, 100) + ")"
	}
	fallback = fmt.Sprintf("%s: %s asks for %s for %s. %s", r.ID, who(r.Requester), what, commands.FormatDuration(r.Duration), status)
	if r.State == commands.StateActive && r.Extension != nil {
		fallback += ". " + extensionStatus(r) + "."
	}
	return truncateMrkdwn(fallback, maxSectionRunes), s.blocks
}

// requestTitle is a request's headline: "R42 · viewer for 8h". Header text is plain, so
// nothing in it needs escaping.
func requestTitle(r *commands.Request) string {
	return fmt.Sprintf("%s · %s for %s", r.ID, r.Role, commands.FormatDuration(r.Duration))
}

// requestFields are the facts an approver decides on.
func requestFields(r *commands.Request) []*slack.TextBlockObject {
	reason := escapeLimit(strings.TrimSpace(r.Reason), fieldBudget("Reason"))
	if reason == "" {
		reason = "_none given_"
	}
	fields := []*slack.TextBlockObject{
		field("Requester", who(r.Requester)),
		field("Role", escapeLimit(r.Role, fieldBudget("Role"))),
	}
	if r.Template != "" {
		// The preset it was asked with, so approvers recognise a routine ask.
		fields = append(fields, field("Template", escapeLimit(r.Template, fieldBudget("Template"))))
	}
	if !r.StartAt.IsZero() {
		// Shown in each reader's own time zone by Slack.
		fields = append(fields, field("Starts", slackDate(r.StartAt)))
	}
	return append(fields,
		field("Permissions", escapeLimit(commands.DescribeGrants(r.WorkspacePermissions, r.DevicePermissions), fieldBudget("Permissions"))),
		field("Devices", deviceList(r.Devices, fieldBudget("Devices"))),
		field("Duration", commands.FormatDuration(r.Duration)),
		field("Asked", slackDate(r.CreatedAt)),
		field("Reason", reason),
	)
}

// approvalProgress says how far the approvals of a request are: "1 of 2 approvals: <@ann>".
func approvalProgress(approvals []commands.Approval, needed int) string {
	users := make([]string, len(approvals))
	for i, a := range approvals {
		users[i] = a.User
	}
	s := fmt.Sprintf("%d of %d approvals", len(approvals), max(needed, 1))
	if len(users) > 0 {
		s += ": " + whoList(users)
	}
	return s
}

// approvers says who approved r: everyone who did, or the last decider (cakegate itself for
// a role that approves on its own).
func approvers(r *commands.Request) string {
	if len(r.Approvals) > 0 {
		return whoList(r.Approvers())
	}
	if r.OnCall != "" {
		return "the on-call rule (" + commands.Mention(escapeMrkdwn(r.OnCall)) + ")"
	}
	return who(r.DecidedBy)
}

// withNote appends a decision's reason, escaped, to a status line.
func withNote(s, note string) string {
	note = strings.TrimSpace(note)
	if note == "" {
		return s
	}
	return s + " · “" + escapeLimit(note, 1000) + "”"
}

// approvalStatus is the one line that says where r is.
func approvalStatus(r *commands.Request, now time.Time) string {
	switch r.State {
	case commands.StatePending:
		if len(r.Approvals) == 0 && r.ApprovalsNeeded <= 1 {
			return "Waiting for approval"
		}
		return approvalProgress(r.Approvals, r.ApprovalsNeeded)
	case commands.StateApproved:
		if !r.StartAt.IsZero() && !r.StartTold {
			return "Approved by " + approvers(r) + " · starts " + slackDate(r.StartAt) + "; " + commands.Mention(r.Requester) + " can reveal the token from then until " + slackDate(r.RevealBy)
		}
		return "Approved by " + approvers(r) + " · waiting for " + commands.Mention(r.Requester) + " to reveal the token (by " + slackDate(r.RevealBy) + ")"
	case commands.StateLapsed:
		return "Approved by " + approvers(r) + " · lapsed: the token was not revealed by " + slackDate(r.RevealBy) + "; none was created"
	case commands.StateProvisioning:
		return "Approved by " + approvers(r) + " · creating the token…"
	case commands.StateActive:
		s := "Approved by " + approvers(r)
		if r.Grant == nil {
			return s
		}
		if !r.Grant.ExpiresAt.After(now) {
			return s + " · expired " + slackDate(r.Grant.ExpiresAt) + ", removing the token…"
		}
		return s + " · expires " + slackDate(r.Grant.ExpiresAt)
	case commands.StateRevoking:
		if r.Grant != nil && r.Grant.Ending == commands.StateExpired {
			return "Revoking… (expired " + slackDate(r.Grant.ExpiresAt) + ")"
		}
		return withNote("Revoking… (revoked by "+who(r.DecidedBy)+")", r.DecisionNote)
	case commands.StateExpired:
		at := r.UpdatedAt
		if r.Grant != nil {
			at = r.Grant.ExpiresAt
		}
		return "Expired " + slackDate(at)
	case commands.StateRevoked:
		if r.Grant == nil {
			// Withdrawn before its token was revealed: none was ever made.
			return withNote("Approval withdrawn by "+who(r.DecidedBy)+" "+slackDate(r.DecidedAt)+" · no token was made", r.DecisionNote)
		}
		return withNote("Revoked by "+who(r.DecidedBy)+" "+slackDate(r.DecidedAt), r.DecisionNote)
	case commands.StateDenied:
		return withNote("Denied by "+who(r.DecidedBy)+" "+slackDate(r.DecidedAt), r.DecisionNote)
	case commands.StateCancelled:
		if r.DecidedBy == commands.Actor {
			// The policy no longer allows it (its role left, or narrowed).
			return withNote("Cancelled by cakegate "+slackDate(r.DecidedAt), r.DecisionNote)
		}
		return "Cancelled by the requester " + slackDate(r.DecidedAt)
	case commands.StateTimedOut:
		return "Timed out without a decision"
	case commands.StateFailed:
		reason := strings.TrimSpace(r.FailureReason)
		if reason == "" {
			reason = "no reason recorded"
		}
		return "Failed: " + escapeLimit(reason, 1000)
	}
	return "State: " + escapeLimit(string(r.State), 100)
}

// extensionStatus describes the extension waiting on an active request.
func extensionStatus(r *commands.Request) string {
	e := r.Extension
	s := fmt.Sprintf("%s asks to extend by %s", who(e.By), commands.FormatDuration(e.Duration))
	if r.ApprovalsNeeded > 1 || len(e.Approvals) > 0 {
		s += " · " + approvalProgress(e.Approvals, r.ApprovalsNeeded)
	}
	return s
}
