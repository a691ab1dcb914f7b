package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

const onCallGroup = "SONCALL"

// newOnCallEnv is newEnv with viewer's on-call rule (SONCALL, up to 4h) and carol on call.
func newOnCallEnv(t *testing.T) (*env, *commandstest.Rosters) {
	e := newEnv(t)
	e.svc.Policy.Roles["viewer"].OnCall = &commands.OnCall{Group: onCallGroup, MaxDuration: 4 * time.Hour}
	rosters := &commandstest.Rosters{Clock: e.clock}
	rosters.Set(onCallGroup, carol, bob)
	e.svc.Rosters = rosters
	return e, rosters
}

// TestOnCallApprovalStory: carol is on call and asks for 2h: the rule approves at once, the
// approvals channel is told loudly who, why and that the rule did it, the audit records the
// group and the list as Slack gave it, and an approver can still withdraw it.
func TestOnCallApprovalStory(t *testing.T) {
	ctx := context.Background()
	e, _ := newOnCallEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 2 * time.Hour, Reason: "pager: freezer alarm"})
	if r.State != commands.StateApproved || r.OnCall != onCallGroup || r.DecidedBy != commands.Actor {
		t.Fatalf("got %s, on call %q, decided by %q; want approved by the on-call rule of %s", r.State, r.OnCall, r.DecidedBy, onCallGroup)
	}
	var loud bool
	for _, n := range e.store.Notifications(r.ID) {
		if n.Kind == commands.NotifyApprovers && n.Urgent && strings.Contains(n.Text, ":rotating_light: On call: <@UCAROL> is in <!subteam^SONCALL>") &&
			strings.Contains(n.Text, "without an approver. Reason: pager: freezer alarm") {
			loud = true
		}
	}
	if !loud {
		t.Fatalf("the approvals channel was not told loudly; queued: %+v", e.store.Notifications(r.ID))
	}
	events := e.store.AuditEvents(r.ID)
	last := events[len(events)-1]
	want := "on call: UCAROL is a member of SONCALL as Slack listed it at 2026-11-27T09:00:00Z (2 members: UCAROL, UBOB)"
	if last.Action != "approved" || last.Actor != commands.Actor || last.Detail != want {
		t.Fatalf("audit %+v, want approved by cakegate with %q", last, want)
	}
	got, err := e.svc.Revoke(ctx, r.ID, ann, "not an emergency")
	if err != nil || got.State != commands.StateRevoked {
		t.Fatalf("an approver withdrawing it: %v, %v", got, err)
	}
}

// TestOnCallRuleLeavesTheRestToApprovers: outside the rule — longer than its max_duration,
// not in the group, a list Slack cannot give or one too old — a request waits for approvers.
func TestOnCallRuleLeavesTheRestToApprovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		user  string
		dur   time.Duration
		setup func(*commandstest.Rosters)
		audit string // an audit action the request must have, if any
		start string // start=, if any
	}{
		{"LongerThanRule", carol, 8 * time.Hour, nil, "", ""},
		{"NotOnCall", dave, time.Hour, nil, "", ""},
		{"LeftTheGroup", carol, time.Hour, func(r *commandstest.Rosters) { r.Set(onCallGroup, bob) }, "", ""},
		{"SlackCannotSay", carol, time.Hour, func(r *commandstest.Rosters) { r.Fail(errors.New("ratelimited")) }, "on_call_unread", ""},
		{"ListTooOld", carol, time.Hour, func(r *commandstest.Rosters) { r.Age(2 * time.Minute) }, "on_call_unread", ""},
		// On call today, asking for access next week: who holds the pager then is unknown.
		{"ScheduledStart", carol, time.Hour, nil, "", start.Add(3 * 24 * time.Hour).Format(time.RFC3339)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rosters := newOnCallEnv(t)
			if tc.setup != nil {
				tc.setup(rosters)
			}
			r := e.request(t, commands.RequestInput{Requester: tc.user, Role: "viewer", Devices: []string{"SN1"}, Duration: tc.dur, Start: tc.start})
			if r.State != commands.StatePending || r.OnCall != "" {
				t.Fatalf("got %s (on call %q), want it waiting for approvers", r.State, r.OnCall)
			}
			if tc.audit != "" && !strings.Contains(strings.Join(e.store.AuditActions(r.ID), " "), tc.audit) {
				t.Fatalf("audit %v, want %s", e.store.AuditActions(r.ID), tc.audit)
			}
			if (tc.name == "LongerThanRule" || tc.name == "ScheduledStart") && rosters.Reads() != 0 {
				t.Errorf("Slack was asked about the group for a request the rule cannot cover")
			}
			if _, err := e.svc.Approve(context.Background(), r.ID, ann); err != nil {
				t.Fatalf("an approver approving it as usual: %v", err)
			}
		})
	}
}

func TestParsePolicyOnCall(t *testing.T) {
	head := "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  ops:\n    max_duration: 8h\n"
	pol, err := commands.ParsePolicy("test.yaml", []byte(head+"    on_call: {group: S0ONCALL, max_duration: 4h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if oc := pol.Roles["ops"].OnCall; oc == nil || oc.Group != "S0ONCALL" || oc.MaxDuration != 4*time.Hour {
		t.Fatalf("on_call = %+v", oc)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"Person", "    on_call: {group: U0ANN, max_duration: 4h}\n", `test.yaml:7: role "ops": on_call: group U0ANN is a person, not a user group`},
		{"NoGroup", "    on_call: {max_duration: 4h}\n", `test.yaml:7: role "ops": on_call: group is missing`},
		{"NoMax", "    on_call: {group: S0ONCALL}\n", `test.yaml:7: role "ops": on_call: max_duration is missing`},
		{"Longer", "    on_call: {group: S0ONCALL, max_duration: 1d}\n", `test.yaml:7: role "ops": on_call: max_duration 1d is longer than the role's max_duration 8h`},
		{"AutoApprove", "    auto_approve: true\n    on_call: {group: S0ONCALL, max_duration: 1h}\n", `test.yaml:8: role "ops": on_call is set, but the role is granted without an approver anyway`},
		{"NotAMapping", "    on_call: S0ONCALL\n", `test.yaml:7: role "ops": on_call: want {group: S0ONCALL, max_duration: 4h}, not text S0ONCALL`},
		{"UnknownKey", "    on_call: {group: S0ONCALL, max_duration: 1h, channel: C1}\n", `test.yaml:7: role "ops": on_call: unknown key "channel"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := commands.ParsePolicy("test.yaml", []byte(head+tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("got %v, want one problem: %s", err, tc.want)
			}
		})
	}
}
