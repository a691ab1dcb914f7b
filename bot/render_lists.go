package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// RequestLine renders a request as one mrkdwn line for lists:
// "*R42* · viewer · 3 devices · active until <date> · 8h".
func RequestLine(r *commands.Request) string {
	return fmt.Sprintf("*%s* · %s · %s · %s · %s",
		r.ID, escapeLimit(r.Role, 100), plural(len(r.Devices), "device", "devices"), shortStatus(r), commands.FormatDuration(r.Duration))
}

// stateWords names a state as the people who use cakegate know it.
func stateWords(s commands.State) string {
	switch s {
	case commands.StatePending:
		return "waiting for approval"
	case commands.StateApproved:
		return "approved, token not revealed yet"
	case commands.StateProvisioning:
		return "token being created"
	case commands.StateActive:
		return "token works"
	case commands.StateRevoking:
		return "being revoked"
	case commands.StateTimedOut:
		return "timed out"
	case commands.StateLapsed:
		return "lapsed (not revealed in time)"
	}
	return escapeLimit(string(s), 50) // expired, revoked, denied, cancelled, failed: plain words already
}

// shortStatus is a request's state in a few words, for a list line.
func shortStatus(r *commands.Request) string {
	switch r.State {
	case commands.StatePending:
		if r.ApprovalsNeeded > 1 {
			return fmt.Sprintf("pending, %d of %d approvals", len(r.Approvals), r.ApprovalsNeeded)
		}
		return "pending"
	case commands.StateApproved:
		return "approved, reveal the token by " + slackDate(r.RevealBy)
	case commands.StateLapsed:
		return "lapsed (not revealed in time)"
	case commands.StateProvisioning:
		return "approved, token being created"
	case commands.StateActive:
		if r.Grant == nil {
			return "active"
		}
		s := "active until " + slackDate(r.Grant.ExpiresAt)
		if r.Extension != nil {
			s += ", extension by " + commands.FormatDuration(r.Extension.Duration) + " asked"
		}
		return s
	case commands.StateRevoking:
		return "being revoked"
	case commands.StateExpired:
		if r.Grant != nil {
			return "expired " + slackDate(r.Grant.ExpiresAt)
		}
		return "expired"
	case commands.StateRevoked:
		return "revoked " + slackDate(r.DecidedAt)
	case commands.StateDenied:
		return "denied " + slackDate(r.DecidedAt)
	case commands.StateCancelled:
		return "cancelled"
	case commands.StateTimedOut:
		return "timed out"
	case commands.StateFailed:
		return "failed"
	}
	return escapeLimit(string(r.State), 100)
}

// ListMessage renders a requester's own requests (for /cakegate list), one line each, with a
// Cancel button on a pending request and a Revoke button on an active one. now says how long
// an active grant has left.
func ListMessage(requests []*commands.Request, now time.Time) (fallback string, blocks []slack.Block) {
	var s blockSet
	if len(requests) == 0 {
		s.section("list_empty", "You have no requests. `/cakegate request` asks for a token.")
		return "You have no cakegate requests.", s.blocks
	}
	active, pending := 0, 0
	for _, r := range requests {
		switch r.State {
		case commands.StateActive:
			active++
		case commands.StatePending:
			pending++
		}
	}
	summary := fmt.Sprintf("Your requests: %d (%d active, %d pending)", len(requests), active, pending)
	s.section("list_summary", "*"+summary+"*")

	items := make([][]slack.Block, 0, len(requests))
	for _, r := range requests {
		line := RequestLine(r)
		if r.State == commands.StateActive && r.Grant != nil && r.Grant.ExpiresAt.After(now) {
			line += " · ends in about " + commands.FormatDuration(roughly(r.Grant.ExpiresAt.Sub(now)))
		}
		b := s.sectionBlock(r.ID.String()+"_line", line)
		switch r.State {
		case commands.StatePending:
			b.Accessory = slack.NewAccessory(button(ActionCancel, "Cancel", r, ""))
		case commands.StateActive:
			b.Accessory = slack.NewAccessory(revokeButton(r))
		}
		items = append(items, []slack.Block{b})
	}
	blocks = fitItems(&s, items, func(n int) string {
		return fmt.Sprintf("…and %d more. `/cakegate status ID` shows any one of them.", n)
	})
	return summary + ".", blocks
}

// PendingMessage renders the approver's queue: each pending request, and each active one
// with an extension waiting, with its facts and Approve / Deny buttons. Requests in other
// states are left out. now says how long each has been waiting.
func PendingMessage(requests []*commands.Request, now time.Time) (fallback string, blocks []slack.Block) {
	var waiting []*commands.Request
	for _, r := range requests {
		if r.State == commands.StatePending || (r.State == commands.StateActive && r.Extension != nil) {
			waiting = append(waiting, r)
		}
	}
	var s blockSet
	if len(waiting) == 0 {
		s.section("pending_empty", "Nothing is waiting for a decision.")
		return "Nothing is waiting for a decision.", s.blocks
	}
	summary := fmt.Sprintf("%s waiting for a decision", plural(len(waiting), "request", "requests"))
	s.section("pending_summary", "*"+summary+"*")

	items := make([][]slack.Block, 0, len(waiting))
	for _, r := range waiting {
		items = append(items, decisionItem(&s, r, now, r.ID.String()+"_pending"))
	}
	blocks = fitItems(&s, items, func(n int) string {
		return fmt.Sprintf("…and %d more waiting. Decide on these first, or use `/cakegate approve ID` and `/cakegate deny ID`.", n)
	})
	return summary + ".", blocks
}

// decisionItem is one entry of an approver's queue: what waits for a decision on r (the
// request itself, or its extension) in a section with id blockID, and Approve and Deny
// buttons below it. It is nil when nothing of r waits for a decision.
func decisionItem(s *blockSet, r *commands.Request, now time.Time, blockID string) []slack.Block {
	var text, approve, deny string
	switch {
	case r.State == commands.StatePending:
		text, approve, deny = pendingText(r, now), "Approve", "Deny"
	case r.State == commands.StateActive && r.Extension != nil:
		text, approve, deny = extensionText(r, now), "Approve extension", "Deny extension"
	default:
		return nil
	}
	return []slack.Block{
		s.sectionBlock(blockID, text),
		slack.NewActionBlock(s.id(blockID+"_actions"),
			button(ActionApprove, approve, r, slack.StylePrimary),
			button(ActionDeny, deny, r, slack.StyleDanger)),
	}
}

// pendingText describes a pending request in the approver's queue.
func pendingText(r *commands.Request, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* · %s asks for *%s* for %s · %s\n", r.ID, who(r.Requester), escapeLimit(r.Role, 100), commands.FormatDuration(r.Duration), waiting(r.CreatedAt, now))
	fmt.Fprintf(&b, "Permissions: %s\n", escapeLimit(commands.DescribeGrants(r.WorkspacePermissions, r.DevicePermissions), 500))
	fmt.Fprintf(&b, "Devices: %s\n", deviceList(r.Devices, 800))
	if reason := strings.TrimSpace(r.Reason); reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", escapeLimit(reason, 1000))
	}
	if r.ApprovalsNeeded > 1 || len(r.Approvals) > 0 {
		b.WriteString(approvalProgress(r.Approvals, r.ApprovalsNeeded))
	}
	return strings.TrimRight(b.String(), "\n")
}

// extensionText describes an extension waiting in the approver's queue.
func extensionText(r *commands.Request, now time.Time) string {
	s := fmt.Sprintf("*%s* · role *%s* · %s · %s", r.ID, escapeLimit(r.Role, 100), extensionStatus(r), waiting(r.Extension.RequestedAt, now))
	if r.Grant != nil {
		s += "\nNow expires " + slackDate(r.Grant.ExpiresAt) + "; would expire " + slackDate(r.Grant.ExpiresAt.Add(r.Extension.Duration))
	}
	return s
}

// waiting says how long something asked at since has been waiting: "waiting 2h".
func waiting(since, now time.Time) string {
	if since.IsZero() || !now.After(since) {
		return "asked just now"
	}
	return "waiting " + commands.FormatDuration(roughly(now.Sub(since)))
}
