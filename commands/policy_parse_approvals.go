package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxReasonHintLength bounds reason_hint, which is shown in the request form and in refusals.
const maxReasonHintLength = 150

// maxReasonPatternLength bounds reason_pattern: a pattern is a short rule, not a program.
const maxReasonPatternLength = 200

// approvalsFlowTop parses the top-level keys of the approvals flow: escalation, quiet hours
// and where approvers are asked.
func (p *policyParser) approvalsFlowTop(pol *Policy, f policyField) {
	switch f.key {
	case "escalate_after":
		pol.EscalateAfter, _ = p.duration("", f)
	case "escalate_to":
		p.escalateTo("", f, &pol.EscalateTo)
	case "quiet_hours":
		if s, ok := p.text("", f); ok {
			q, err := ParseQuietHours(s)
			if err != nil {
				p.addf(f.value.Line, "quiet_hours %s: %v", showPolicyValue(s), err)
			}
			pol.QuietHours = q
		}
	case "notify_approvers":
		pol.NotifyApprovers = p.notifyMode("", f)
	}
}

// approvalsFlowRole parses a role's keys of the approvals flow: its own channel, escalation,
// notify mode and reason rules.
func (p *policyParser) approvalsFlowRole(role *Role, where string, f policyField) {
	switch f.key {
	case "approvals_channel":
		if s, ok := p.text(where, f); ok {
			if msg := checkChannelID(s); msg != "" {
				p.addf(f.value.Line, "%sapprovals_channel %s", where, msg)
				return
			}
			role.ApprovalsChannel = s
		}
	case "escalate_after":
		role.EscalateAfter, _ = p.duration(where, f)
	case "escalate_to":
		p.escalateTo(where, f, &role.EscalateTo)
	case "notify_approvers":
		role.NotifyApprovers = p.notifyMode(where, f)
	case "reason_required":
		if b, ok := p.boolean(where, f); ok {
			role.Reason.Optional = !b
		}
	case "reason_min_length":
		if v, ok := p.integer(where, f); ok {
			if v < 1 || v > MaxReasonLength {
				p.addf(f.value.Line, "%sreason_min_length %d: must be between 1 and %d", where, v, MaxReasonLength)
				return
			}
			role.Reason.MinLength = v
		}
	case "reason_pattern":
		if s, ok := p.text(where, f); ok {
			role.Reason.Pattern = p.reasonPattern(where, f, s)
		}
	case "reason_hint":
		if s, ok := p.text(where, f); ok {
			s = strings.TrimSpace(s)
			if n := utf8.RuneCountInString(s); n > maxReasonHintLength {
				p.addf(f.value.Line, "%sreason_hint: %d characters is too long for the request form; keep it to %d", where, n, maxReasonHintLength)
				return
			}
			role.Reason.Hint = s
		}
	}
}

// escalateTo parses an escalate_to list and remembers where it was, for checkEscalation.
func (p *policyParser) escalateTo(where string, f policyField, dst *[]string) {
	ids, ok := p.slackIDs(where, f)
	if !ok {
		return
	}
	if len(ids) == 0 {
		p.addf(f.line, "%sescalate_to is empty: list users or user groups, or leave it out", where)
		return
	}
	*dst = ids
	if p.escalateToLines == nil {
		p.escalateToLines = map[string]int{}
	}
	p.escalateToLines[where] = f.line
}

func (p *policyParser) notifyMode(where string, f policyField) NotifyMode {
	s, ok := p.text(where, f)
	if !ok {
		return ""
	}
	switch m := NotifyMode(s); m {
	case NotifyChannel, NotifyDM, NotifyBoth:
		return m
	}
	valid := []string{string(NotifyChannel), string(NotifyDM), string(NotifyBoth)}
	p.addf(f.value.Line, "%snotify_approvers %s: unknown value%s; use channel, dm or both", where, showPolicyValue(s), didYouMean(s, valid))
	return ""
}

func (p *policyParser) reasonPattern(where string, f policyField, s string) *regexp.Regexp {
	if strings.TrimSpace(s) == "" {
		p.addf(f.value.Line, "%sreason_pattern is empty: write a regular expression like ^[A-Z]+-[0-9]+, or leave it out", where)
		return nil
	}
	if len(s) > maxReasonPatternLength {
		p.addf(f.value.Line, "%sreason_pattern is longer than %d characters", where, maxReasonPatternLength)
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		p.addf(f.value.Line, "%sreason_pattern %s: not a valid regular expression: %s", where, showPolicyValue(s), msg)
		return nil
	}
	return re
}

// checkEscalation runs the escalation checks that need the whole file: escalate_to without
// any escalate_after would never bring anyone in.
func (p *policyParser) checkEscalation(pol *Policy) {
	for _, info := range p.roles {
		role := info.role
		where := fmt.Sprintf("role %q: ", role.Name)
		line, ok := p.escalateToLines[where]
		if !ok {
			continue
		}
		if after, _ := pol.EscalationOf(role); after == 0 {
			p.addf(line, "%sescalate_to needs escalate_after (in the role or at the top level): say how long a request waits before approvers are reminded", where)
		}
	}
	if line, ok := p.escalateToLines[""]; ok && pol.EscalateAfter == 0 {
		// Every role that sets its own escalate_after uses the top-level list; without
		// one at all, it is never used.
		used := false
		for _, r := range pol.Roles {
			used = used || r.EscalateAfter > 0
		}
		if !used {
			p.addf(line, "escalate_to needs escalate_after: say how long a request waits before approvers are reminded, like escalate_after: 2h")
		}
	}
}

// ParseQuietHours reads a daily window written "20:00-08:00" (24-hour clock).
func ParseQuietHours(s string) (QuietHours, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return QuietHours{}, fmt.Errorf(`want a window like "20:00-08:00"`)
	}
	start, err := parseTimeOfDay(from)
	if err != nil {
		return QuietHours{}, err
	}
	end, err := parseTimeOfDay(to)
	if err != nil {
		return QuietHours{}, err
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("starts and ends at the same time; leave quiet_hours out for none")
	}
	return QuietHours{Start: start, End: end}, nil
}

func parseTimeOfDay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) < 1 || len(h) > 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day like 08:00 or 20:30", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}
