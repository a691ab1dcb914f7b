package commands_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// policyHead is the start of a valid policy file; the cases add lines after it (from line 4).
const policyHead = "workspace: w1\napprovals_channel: C1\napprovers: [U1]\n"

func TestParsePolicyApprovalsFlowErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string // after policyHead
		line int
		want string
	}{
		{"EscalateAfterNotADuration", "escalate_after: soon\nroles: {r: {max_duration: 1h}}\n",
			4, `escalate_after soon: write it like`},
		{"EscalateAfterZero", "escalate_after: 0s\nroles: {r: {max_duration: 1h}}\n",
			4, `escalate_after 0s: must be longer than 0`},
		{"EscalateToNotIDs", "escalate_after: 1h\nescalate_to: [oncall-leads]\nroles: {r: {max_duration: 1h}}\n",
			5, `escalate_to: oncall-leads is not a Slack user id`},
		{"EscalateToEmpty", "escalate_after: 1h\nescalate_to: []\nroles: {r: {max_duration: 1h}}\n",
			5, `escalate_to is empty`},
		{"EscalateToWithoutAfter", "escalate_to: [S1]\nroles: {r: {max_duration: 1h}}\n",
			4, `escalate_to needs escalate_after`},
		{"RoleEscalateToWithoutAfter", "roles:\n  r:\n    max_duration: 1h\n    escalate_to: [U2]\n",
			7, `role "r": escalate_to needs escalate_after`},
		{"QuietHoursNoDash", "quiet_hours: \"20:00\"\nroles: {r: {max_duration: 1h}}\n",
			4, `quiet_hours "20:00": want a window like "20:00-08:00"`},
		{"QuietHoursBadTime", "quiet_hours: \"25:00-08:00\"\nroles: {r: {max_duration: 1h}}\n",
			4, `"25:00" is not a time of day`},
		{"QuietHoursEmptyWindow", "quiet_hours: \"08:00-08:00\"\nroles: {r: {max_duration: 1h}}\n",
			4, `starts and ends at the same time`},
		{"NotifyApproversUnknown", "notify_approvers: dms\nroles: {r: {max_duration: 1h}}\n",
			4, `notify_approvers dms: unknown value (did you mean "dm"?); use channel, dm or both`},
		{"RoleNotifyApproversNotText", "roles:\n  r:\n    max_duration: 1h\n    notify_approvers: [dm]\n",
			7, `role "r": notify_approvers: want text, not a list`},
		{"RoleChannelName", "roles:\n  r:\n    max_duration: 1h\n    approvals_channel: \"#ops\"\n",
			7, `role "r": approvals_channel "#ops" is not a Slack channel id (C…); a channel name will not do`},
		{"RoleChannelNotAnID", "roles:\n  r:\n    max_duration: 1h\n    approvals_channel: U123\n",
			7, `approvals_channel U123 is not a Slack channel id`},
		{"ReasonRequiredNotBool", "roles:\n  r:\n    max_duration: 1h\n    reason_required: yes please\n",
			7, `role "r": reason_required: want true or false`},
		{"ReasonMinLengthZero", "roles:\n  r:\n    max_duration: 1h\n    reason_min_length: 0\n",
			7, `reason_min_length 0: must be between 1 and 500`},
		{"ReasonMinLengthTooBig", "roles:\n  r:\n    max_duration: 1h\n    reason_min_length: 501\n",
			7, `reason_min_length 501: must be between 1 and 500`},
		{"ReasonPatternInvalid", "roles:\n  r:\n    max_duration: 1h\n    reason_pattern: \"^[A-Z+\"\n",
			7, `reason_pattern "^[A-Z+": not a valid regular expression: missing closing ]`},
		{"ReasonPatternEmpty", "roles:\n  r:\n    max_duration: 1h\n    reason_pattern: \"\"\n",
			7, `reason_pattern is empty`},
		{"ReasonHintTooLong", "roles:\n  r:\n    max_duration: 1h\n    reason_hint: " + strings.Repeat("x", 151) + "\n",
			7, `reason_hint: 151 characters is too long`},
		{"ReasonKeyAtTopLevel", "reason_hint: ticket\nroles: {r: {max_duration: 1h}}\n",
			4, `unknown key "reason_hint": reason_hint is a role setting`},
		{"QuietHoursInRole", "roles:\n  r:\n    max_duration: 1h\n    quiet_hours: \"20:00-08:00\"\n",
			7, `unknown key "quiet_hours": quiet_hours is set for the whole policy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := commands.ParsePolicy("test.yaml", []byte(policyHead+tt.yaml))
			var perr *commands.PolicyError
			if !errors.As(err, &perr) || p != nil {
				t.Fatalf("got %v, %v; want a *commands.PolicyError", p, err)
			}
			if len(perr.Problems) != 1 || perr.Problems[0].Line != tt.line || !strings.Contains(perr.Problems[0].Message, tt.want) {
				t.Fatalf("want one problem on line %d containing\n\t%s\ngot:\n%v", tt.line, tt.want, err)
			}
		})
	}
}

func TestParsePolicyApprovalsFlowDefaults(t *testing.T) {
	p, err := commands.ParsePolicy("test.yaml", []byte(policyHead+"roles: {r: {max_duration: 1h}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Roles["r"]
	if p.NotifyModeOf(r) != commands.NotifyChannel || p.ChannelOf(r) != "C1" || !p.QuietHours.IsZero() {
		t.Errorf("defaults: mode %q, channel %q, quiet %v", p.NotifyModeOf(r), p.ChannelOf(r), p.QuietHours)
	}
	if after, to := p.EscalationOf(r); after != 0 || to != nil {
		t.Errorf("escalation without escalate_after: %v, %v", after, to)
	}
	if r.Reason.Optional || r.Reason.MinLength != 0 || r.Reason.Pattern != nil {
		t.Errorf("reason rule %+v: want required and nothing else", r.Reason)
	}
}

func TestParsePolicyEscalationInheritance(t *testing.T) {
	p, err := commands.ParsePolicy("test.yaml", []byte(policyHead+`escalate_to: [S0LEADS]
roles:
  quick: {max_duration: 1h, escalate_after: 15m}
  own: {max_duration: 1h, escalate_after: 1h, escalate_to: [U9], notify_approvers: both}
  none: {max_duration: 1h}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role  string
		after time.Duration
		to    string
	}{
		{"quick", 15 * time.Minute, "S0LEADS"},
		{"own", time.Hour, "U9"},
		{"none", 0, "S0LEADS"},
	} {
		after, to := p.EscalationOf(p.Roles[tc.role])
		if after != tc.after || strings.Join(to, ",") != tc.to {
			t.Errorf("%s: got %v to %v, want %v to %s", tc.role, after, to, tc.after, tc.to)
		}
	}
	if p.NotifyModeOf(p.Roles["own"]) != commands.NotifyBoth {
		t.Errorf("own: notify mode %q", p.NotifyModeOf(p.Roles["own"]))
	}
}
