package commands_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// policyFuzzToken matches a Slack token that was not redacted.
var policyFuzzToken = regexp.MustCompile(`(xox[a-z]|xapp)-[^…]`)

func FuzzParsePolicy(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "policy", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"workspace: w\napprovals_channel: C1\nroles: {r: {max_duration: 1h, auto_approve: true}}\n",
		"workspace: w\napprovals_channel: C1\napprovers: [U1]\nroles: {r: {max_duration: 1h, default_duration: 2h}}\n",
		"workspace: w\napprovals_channel: xoxb-1-2\nroles: {r: {max_duration: 1h}}\n",
		"a: &a [*a]\n",
		"roles: {r: {<<: {max_duration: 1h}}}\n",
		"---\n---\n",
		"\"0\r\r",
		"workspace: w\napprovals_channel: C1\napprovers: [U1]\nescalate_after: 2h\nescalate_to: [S1]\nquiet_hours: \"20:00-08:00\"\nnotify_approvers: both\nroles: {r: {max_duration: 1h}}\n",
		"workspace: w\napprovals_channel: C1\napprovers: [U1]\nroles: {r: {max_duration: 1h, approvals_channel: C2, notify_approvers: dm, reason_required: false, reason_min_length: 5, reason_pattern: \"^[A-Z]+-[0-9]+\", reason_hint: ticket}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := commands.ParsePolicy("fuzz.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatalf("got a policy and the error %v", err)
			}
			checkPolicyFuzzError(t, data, err)
			return
		}
		checkPolicyFuzzInvariants(t, p)
	})
}

func checkPolicyFuzzError(t *testing.T, data []byte, err error) {
	var perr *commands.PolicyError
	if !errors.As(err, &perr) {
		t.Fatalf("got %T %v, want a *commands.PolicyError", err, err)
	}
	if len(perr.Problems) == 0 {
		t.Fatal("a PolicyError without problems")
	}
	// YAML breaks lines at \r too, and at NEL, LS and PS.
	breaks := 0
	for _, r := range string(data) {
		if strings.ContainsRune("\n\r\u0085\u2028\u2029", r) {
			breaks++
		}
	}
	lastLine := breaks + 2
	prev := 0
	for _, pr := range perr.Problems {
		if pr.Message == "" || strings.Contains(pr.Message, "\n") {
			t.Errorf("problem message %q: want one non-empty line", pr.Message)
		}
		if pr.Line < 0 || pr.Line > lastLine {
			t.Errorf("problem on line %d of a %d-line file: %s", pr.Line, lastLine, pr.Message)
		}
		if pr.Line < prev {
			t.Errorf("problems out of file order:\n%v", err)
		}
		prev = pr.Line
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(perr.Problems) {
		t.Errorf("error has %d lines for %d problems", got, len(perr.Problems))
	}
	if policyFuzzToken.MatchString(err.Error()) {
		t.Errorf("error repeats a Slack token:\n%v", err)
	}
}

func checkPolicyFuzzInvariants(t *testing.T, p *commands.Policy) {
	if strings.TrimSpace(p.Workspace) == "" {
		t.Error("accepted a policy without a workspace")
	}
	if strings.TrimSpace(p.ApprovalsChannel) == "" {
		t.Error("accepted a policy without an approvals channel")
	}
	if p.Location == nil {
		t.Error("accepted a policy without a location")
	}
	if p.PendingTimeout <= 0 {
		t.Errorf("PendingTimeout %v", p.PendingTimeout)
	}
	for i, d := range p.Reminders {
		if d <= 0 || (i > 0 && d >= p.Reminders[i-1]) {
			t.Errorf("Reminders %v: want positive, longest first, no repeats", p.Reminders)
		}
	}
	if p.AllRequesters == (len(p.Requesters) > 0) {
		t.Errorf("AllRequesters %v with requesters %v", p.AllRequesters, p.Requesters)
	}
	if p.Orphans != commands.OrphansDelete && p.Orphans != commands.OrphansReport {
		t.Errorf("Orphans %q", p.Orphans)
	}
	s := p.Schedule
	for _, spec := range []string{s.Expire, s.Remind, s.Pending, s.Outbox, s.Reconcile} {
		if strings.TrimSpace(spec) == "" {
			t.Errorf("Schedule %+v has an empty spec", s)
		}
	}
	if len(p.Roles) == 0 || len(p.Roles) != len(p.RoleOrder) {
		t.Errorf("%d roles, RoleOrder %v", len(p.Roles), p.RoleOrder)
	}
	all := []string{p.Workspace, p.ApprovalsChannel}
	for _, name := range p.RoleOrder {
		r, ok := p.Roles[name]
		if !ok || r.Name != name {
			t.Fatalf("RoleOrder names %q, Roles has %+v", name, r)
		}
		if !(r.MaxDuration >= r.DefaultDuration && r.DefaultDuration > 0) {
			t.Errorf("role %s: max %v, default %v: want max ≥ default > 0", name, r.MaxDuration, r.DefaultDuration)
		}
		if r.Approvals < 1 {
			t.Errorf("role %s: Approvals %d", name, r.Approvals)
		}
		if !r.AutoApprove && !r.BreakGlass && len(p.ApproversOf(r)) == 0 {
			t.Errorf("role %s has nobody to approve it", name)
		}
		for _, perm := range r.WorkspacePermissions {
			if !slices.Contains(commands.WorkspacePermissionNames, perm) {
				t.Errorf("role %s: workspace permission %q", name, perm)
			}
		}
		for _, perm := range r.DevicePermissions {
			if !slices.Contains(commands.DevicePermissionNames, perm) {
				t.Errorf("role %s: device permission %q", name, perm)
			}
		}
		if r.Devices.Any == (len(r.Devices.Tags) > 0) {
			t.Errorf("role %s: device scope %+v", name, r.Devices)
		}
		if after, to := p.EscalationOf(r); len(to) > 0 && after <= 0 {
			t.Errorf("role %s: escalates to %v but never escalates", name, to)
		}
		if m := p.NotifyModeOf(r); m != commands.NotifyChannel && m != commands.NotifyDM && m != commands.NotifyBoth {
			t.Errorf("role %s: notify mode %q", name, m)
		}
		if c := p.ChannelOf(r); strings.TrimSpace(c) == "" {
			t.Errorf("role %s has no approvals channel", name)
		}
		if r.Reason.MinLength < 0 || r.Reason.MinLength > commands.MaxReasonLength {
			t.Errorf("role %s: reason_min_length %d", name, r.Reason.MinLength)
		}
		all = append(all, r.Description, r.ApprovalsChannel, r.Reason.Hint)
		all = append(all, r.EscalateTo...)
		if r.Reason.Pattern != nil {
			all = append(all, r.Reason.Pattern.String())
		}
		all = append(all, r.Devices.Tags...)
		all = append(all, r.Approvers...)
		all = append(all, r.Requesters...)
	}
	all = append(all, p.Approvers...)
	all = append(all, p.Requesters...)
	all = append(all, p.EscalateTo...)
	if q := p.QuietHours; !q.IsZero() && (q.Start < 0 || q.Start >= 24*time.Hour || q.End < 0 || q.End >= 24*time.Hour) {
		t.Errorf("quiet hours %+v outside a day", q)
	}
	for _, v := range all {
		if policyFuzzToken.MatchString(v) {
			t.Errorf("accepted a Slack token in the policy: %q", v)
		}
	}
}
