package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// RolesMessage renders the roles a user may ask for (for /cakegate roles): for each, its
// description, what it grants, its durations, which devices it covers and who must approve.
func RolesMessage(roles []commands.RoleInfo) (fallback string, blocks []slack.Block) {
	var s blockSet
	if len(roles) == 0 {
		s.section("roles_empty", "There is no role you can ask for. Ask whoever runs cakegate to give you one; the approvers know who that is.")
		return "There is no role you can ask for.", s.blocks
	}
	s.header("roles_header", "Roles you can ask for")

	names := make([]string, 0, len(roles))
	items := make([][]slack.Block, 0, len(roles))
	for _, ri := range roles {
		if ri.Role == nil {
			continue
		}
		names = append(names, ri.Role.Name)
		items = append(items, []slack.Block{
			s.sectionBlock("role_"+ri.Role.Name, roleText(ri)),
		})
	}
	blocks = fitItems(&s, items, func(n int) string {
		return fmt.Sprintf("…and %d more roles.", n)
	})
	fallback = "Roles you can ask for: " + escapeLimit(strings.Join(names, ", "), 2000)
	return fallback, blocks
}

// roleText describes one role within the section text limit. The description, the one part
// of unbounded length, gets whatever room the rest leaves.
func roleText(ri commands.RoleInfo) string {
	role := ri.Role
	grants := ri.Grants
	if grants == "" {
		grants = commands.DescribeGrants(role.WorkspacePermissions, role.DevicePermissions)
	}
	var rest strings.Builder
	fmt.Fprintf(&rest, "\n*Grants:* %s", escapeLimit(grants, 600))
	fmt.Fprintf(&rest, "\n*Devices:* %s", escapeLimit(role.Devices.String(), 400))
	fmt.Fprintf(&rest, "\n*Duration:* %s by default, at most %s", commands.FormatDuration(role.DefaultDuration), commands.FormatDuration(role.MaxDuration))
	fmt.Fprintf(&rest, "\n*Approval:* %s", roleApproval(role))
	if role.ExtendWithoutApproval && !role.AutoApprove && !role.BreakGlass {
		rest.WriteString("; extensions need none")
	}
	fmt.Fprintf(&rest, "\n`/cakegate request role=%s` asks for it.", escapeLimit(role.Name, 100))

	head := "*" + escapeLimit(role.Name, 100) + "*"
	room := maxSectionRunes - utf8.RuneCountInString(head) - utf8.RuneCountInString(rest.String())
	if desc := strings.TrimSpace(role.Description); desc != "" && room > len(" — ")+1 {
		head += " — " + escapeLimit(desc, room-len(" — "))
	}
	return truncateMrkdwn(head+rest.String(), maxSectionRunes)
}

// roleApproval says who must say yes before a role is granted.
func roleApproval(role *commands.Role) string {
	switch {
	case role.BreakGlass:
		return "none: break-glass, granted at once and the approvers are alerted"
	case role.AutoApprove:
		return "none: granted at once"
	}
	from := "the approvers"
	if len(role.Approvers) > 0 {
		from = truncateMrkdwn(whoList(role.Approvers), 600)
	}
	return fmt.Sprintf("%s from %s", plural(max(role.Approvals, 1), "approval", "approvals"), from)
}

// AuditMessage renders audit events (for /cakegate audit), newest first, one line each, with
// times in loc. Lines share sections up to Slack's limits; what does not fit is counted in a
// last "…and N more" line.
func AuditMessage(events []commands.AuditEvent, loc *time.Location) (fallback string, blocks []slack.Block) {
	if loc == nil {
		loc = time.UTC
	}
	var s blockSet
	if len(events) == 0 {
		s.section("audit_empty", "The audit log is empty.")
		return "The audit log is empty.", s.blocks
	}
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b commands.AuditEvent) int {
		if c := cmp.Compare(b.Seq, a.Seq); c != 0 {
			return c
		}
		return b.At.Compare(a.At)
	})
	s.header("audit_header", fmt.Sprintf("Audit log: latest %s", plural(len(sorted), "event", "events")))

	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = auditLine(e, loc)
	}
	sections, counts := packLines(lines, maxSectionRunes)
	shown := len(lines)
	if room := maxMessageBlocks - len(s.blocks); len(sections) > room {
		// Keep one block for the "…and N more" line.
		sections, counts = sections[:room-1], counts[:room-1]
		shown = 0
		for _, n := range counts {
			shown += n
		}
	}
	for i, sec := range sections {
		s.section(fmt.Sprintf("audit_%d", i), sec)
	}
	if shown < len(lines) {
		s.context("audit_more", fmt.Sprintf("…and %d more events. `/cakegate audit N` chooses how many; `cakegate audit export` has them all.", len(lines)-shown))
	}
	return fmt.Sprintf("Audit log: %s.", plural(len(sorted), "event", "events")), s.blocks
}

// auditLine is one event: "`2026-11-27 17:00 CET` *R42* <@U1> approved → token being created: detail".
// The state it led to is said in people's words (stateWords), not cakegate's state names.
func auditLine(e commands.AuditEvent, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`", e.At.In(loc).Format("2006-01-02 15:04 MST"))
	if e.Request != 0 {
		fmt.Fprintf(&b, " *%s*", e.Request)
	}
	fmt.Fprintf(&b, " %s %s", who(e.Actor), escapeLimit(e.Action, 100))
	if e.To != "" && e.To != e.From {
		fmt.Fprintf(&b, " → %s", stateWords(e.To))
	}
	if d := strings.TrimSpace(e.Detail); d != "" {
		// One line each: a newline typed into a reason must not start a line of its own.
		d = strings.Join(strings.Fields(d), " ")
		fmt.Fprintf(&b, ": %s", escapeLimit(d, 300))
	}
	return b.String()
}

// HelpMessage renders the help text (for /cakegate help) around usage, the lines that
// Usage returns.
func HelpMessage(usage string) (fallback string, blocks []slack.Block) {
	var s blockSet
	s.section("help_intro", "*cakegate* hands out scoped, time-limited Datacake API tokens with an owner's approval. "+
		"Ask for a role; an approver says yes or no in the approvals channel; you click *Reveal token* and see the token once, "+
		"in a window only you see, and it stops working when its time is up or when you revoke it.")
	lines := strings.Split(strings.TrimSpace(usage), "\n")
	for i := range lines {
		lines[i] = escapeMrkdwn(lines[i])
	}
	sections, _ := packLines(lines, maxSectionRunes)
	if len(sections) > maxMessageBlocks-2 {
		sections = sections[:maxMessageBlocks-2]
	}
	for i, sec := range sections {
		if sec != "" {
			s.section(fmt.Sprintf("help_usage_%d", i), sec)
		}
	}
	s.context("help_ids", "Requests have ids like R42. Devices are named by serial number, Datacake device id, or tag:NAME.")
	return "cakegate: scoped, time-limited Datacake tokens with an owner's approval. /cakegate help lists the commands.", s.blocks
}
