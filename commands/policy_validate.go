package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// checkApprovers runs the checks that need the whole file: a role's approvers may come from
// the top level, which can be written after the roles.
func (p *policyParser) checkApprovers(pol *Policy) {
	for _, info := range p.roles {
		role := info.role
		approvers, bad := pol.Approvers, p.approversBad
		if len(role.Approvers) > 0 || info.approversBad {
			approvers, bad = role.Approvers, info.approversBad
		}
		if bad {
			continue // the list itself was reported; counting it would only add noise
		}
		where := fmt.Sprintf("role %q: ", role.Name)
		if len(approvers) == 0 {
			if !role.AutoApprove && !role.BreakGlass {
				p.addf(info.line, "%sno approvers: list approvers in the role or at the top level, or set auto_approve", where)
			}
			continue
		}
		// With a user group in the list nobody here knows how many people may approve.
		if !role.AutoApprove && role.Approvals > len(approvers) && allSlackUsers(approvers) {
			line := info.approvalsLine
			if line == 0 {
				line = info.line
			}
			p.addf(line, "%sapprovals %d: more than the %d approvers listed (%s); lower approvals, add approvers, or list a user group",
				where, role.Approvals, len(approvers), strings.Join(approvers, ", "))
		}
	}
}

func allSlackUsers(ids []string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, "U") && !strings.HasPrefix(id, "W") {
			return false
		}
	}
	return true
}

// isSlackID reports whether id looks like a Slack user id (U…, W… for Enterprise Grid) or
// user group id (S…).
func isSlackID(id string) bool {
	if len(id) < 2 || !strings.ContainsRune("UWS", rune(id[0])) {
		return false
	}
	for _, c := range id[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// checkSlackID returns what is wrong with an approver or requester id, or "".
func checkSlackID(id string) string {
	if isSlackID(id) {
		return ""
	}
	const want = "is not a Slack user id (U…, W…) or user group id (S…)"
	switch upper := strings.ToUpper(id); {
	case isSlackID(upper):
		return fmt.Sprintf("%s %s: Slack ids are upper case, like %s", showPolicyValue(id), want, upper)
	case strings.HasPrefix(id, "<@") || strings.HasPrefix(id, "<!subteam^"):
		return fmt.Sprintf("%s %s: write the bare id, without <@ >", showPolicyValue(id), want)
	case strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G") || strings.HasPrefix(id, "D") || strings.HasPrefix(id, "#"):
		return fmt.Sprintf("%s %s; it looks like a channel, but only people and user groups can be listed here", showPolicyValue(id), want)
	default:
		return fmt.Sprintf("%s %s; names will not do: copy the member id from the person's Slack profile", showPolicyValue(id), want)
	}
}

// checkRoleName returns what is wrong with a role name, or "". Role names are typed in
// slash commands and shown in Slack, so they stay plain.
func checkRoleName(name string) string {
	if name == "" {
		return "roles: a role name is empty"
	}
	valid := func(s string) bool {
		for _, c := range s {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
		return true
	}
	if valid(name) {
		return ""
	}
	msg := fmt.Sprintf("roles: role name %q: use only lowercase letters, digits, - and _", name)
	if lower := strings.ToLower(name); valid(lower) {
		msg += fmt.Sprintf(", like %q", lower)
	}
	return msg
}

var slackTokenPattern = regexp.MustCompile(`(xox[a-z]|xapp)-[^\s"'` + "`" + `,\]\}]*`)

// looksLikeSlackToken reports whether s holds something shaped like a Slack token
// (xoxb-…, xoxp-…, xapp-…).
func looksLikeSlackToken(s string) bool {
	return slackTokenPattern.MatchString(s)
}

// redactSlackTokens replaces anything shaped like a Slack token with its prefix.
func redactSlackTokens(s string) string {
	return slackTokenPattern.ReplaceAllString(s, "$1-…")
}

// showPolicyValue prints a value from the file for an error message: as written when that is
// unambiguous (max_duration 7x), quoted otherwise, shortened when long, never a token.
func showPolicyValue(v string) string {
	if looksLikeSlackToken(v) {
		return "(a Slack token, not shown)"
	}
	const maxLen = 60
	if len(v) > maxLen {
		return strconv.Quote(v[:maxLen] + "…")
	}
	if v != "" && strconv.Quote(v) == `"`+v+`"` && !strings.ContainsAny(v, " #:,[]{}") {
		return v
	}
	return strconv.Quote(v)
}

// durationHint returns ParseDuration's advice without the value it repeats.
func durationHint(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "duration ") {
		if i := strings.Index(msg, `": `); i >= 0 {
			return msg[i+3:]
		}
		if strings.HasSuffix(msg, " is too long") {
			return "too long"
		}
	}
	return msg
}

// didYouMean returns ` (did you mean "x"?)` for the candidate nearest to s, or "".
func didYouMean(s string, candidates []string) string {
	if c := nearest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// nearest returns the candidate closest to s if it is close enough to be a slip of the
// keyboard (case is ignored), or "".
func nearest(s string, candidates []string) string {
	if len(s) > 64 {
		return ""
	}
	s = strings.ToLower(s)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(s, c)
		if d <= max(1, len(c)/3) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
