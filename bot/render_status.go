package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// StatusMessage renders one request in detail (for /cakegate status): what was asked, who
// approved and when, the grant it became, a waiting extension, and how it ended. now places
// an expiry that has passed but is not yet swept.
func StatusMessage(r *commands.Request, now time.Time) (fallback string, blocks []slack.Block) {
	status := approvalStatus(r, now)
	var s blockSet
	s.header(r.ID.String()+"_status_header", requestTitle(r))
	s.fields(r.ID.String()+"_status_fields", append(requestFields(r), field("State", escapeLimit(string(r.State), 100)))...)

	var lines []string
	if len(r.Approvals) > 0 || r.State == commands.StatePending {
		var ap []string
		for _, a := range r.Approvals {
			ap = append(ap, who(a.User)+" "+slackDate(a.At))
		}
		line := fmt.Sprintf("*Approvals:* %d of %d", len(r.Approvals), max(r.ApprovalsNeeded, 1))
		if len(ap) > 0 {
			line += ": " + strings.Join(ap, ", ")
		}
		lines = append(lines, line)
	}
	if g := r.Grant; g != nil {
		line := fmt.Sprintf("*Grant:* API user `%s` · created %s · expires %s", escapeLimit(g.APIUserName, 200), slackDate(g.CreatedAt), slackDate(g.ExpiresAt))
		if len(g.RemindersSent) > 0 {
			sent := make([]string, len(g.RemindersSent))
			for i, d := range g.RemindersSent {
				sent[i] = commands.FormatDuration(d)
			}
			line += " · reminded " + strings.Join(sent, ", ") + " before"
		}
		if g.RevokeAttempts > 0 {
			line += fmt.Sprintf(" · %s to delete it failed", plural(g.RevokeAttempts, "attempt", "attempts"))
		}
		lines = append(lines, line)
	}
	if r.Extension != nil {
		lines = append(lines, "*Extension:* "+extensionStatus(r)+" "+slackDate(r.Extension.RequestedAt))
	}
	if len(lines) > 0 {
		s.section(r.ID.String()+"_status_detail", strings.Join(lines, "\n"))
	}
	s.context(r.ID.String()+"_status_line", status)

	fallback = fmt.Sprintf("%s (role %s for %s): %s", r.ID, escapeLimit(r.Role, 100), commands.FormatDuration(r.Duration), status)
	return truncateMrkdwn(fallback, maxSectionRunes), s.blocks
}
