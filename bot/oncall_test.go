package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestOnCallLeaverStory: carol is on call and the rule approves her at once, from a list
// read from Slack; she hands over the pager; a minute later she asks again and the list is
// read afresh, so she waits for approvers like anyone. When Slack cannot list the group,
// the request waits too.
func TestOnCallLeaverStory(t *testing.T) {
	f := newHomeFixture(t)
	clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	f.svc.Clock = clock
	f.svc.Policy.Roles["viewer"].OnCall = &commands.OnCall{Group: "S0ONCALL", MaxDuration: 4 * time.Hour}
	f.svc.Rosters = f.bot
	f.slack.AddUserGroup("S0ONCALL", "U0CAROL")
	ask := func(user string) *commands.Request {
		t.Helper()
		r, err := f.svc.Request(homeContext(t), commands.RequestInput{Requester: user, Role: "viewer", Devices: []string{"SN-1002"}, Duration: time.Hour, Reason: "pager"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	lists := func() int { return len(f.slack.CallsTo("usergroups.users.list")) }

	r1 := ask("U0CAROL")
	if r1.State != commands.StateApproved || r1.OnCall != "S0ONCALL" || lists() != 1 {
		t.Fatalf("carol on call: %s (on call %q) after %d list calls; want approved by the rule after 1", r1.State, r1.OnCall, lists())
	}

	clock.Advance(30 * time.Second)
	f.slack.AddUserGroup("S0ONCALL", "U0BOB") // the on-call tool hands the pager to bob
	clock.Advance(time.Minute)                // a minute after she left, 90 s after the list was read
	r2 := ask("U0CAROL")
	if r2.State != commands.StatePending || r2.OnCall != "" || lists() != 2 {
		t.Fatalf("carol a minute after leaving: %s (on call %q) after %d list calls; want pending after a fresh list", r2.State, r2.OnCall, lists())
	}

	clock.Advance(2 * time.Minute)
	f.slack.FailNext("usergroups.users.list", 1, "ratelimited")
	r3 := ask("U0BOB")
	if r3.State != commands.StatePending {
		t.Fatalf("bob while Slack cannot list the group: %s, want pending", r3.State)
	}
	events := f.svc.Store.(*commandstest.Store).AuditEvents(r3.ID)
	if len(events) == 0 || events[len(events)-1].Action != "on_call_unread" || !strings.Contains(events[len(events)-1].Detail, "ratelimited") {
		t.Fatalf("audit of %s: %+v, want the unread list recorded", r3.ID, events)
	}

	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	var loud, status bool
	for _, m := range f.slack.Messages("C0APPROVALS") {
		text := f.slack.RenderMessage(m)
		loud = loud || strings.Contains(text, "On call: @carol is in") && strings.Contains(text, "approved R1 for 1h at once, without an approver")
		status = status || strings.Contains(text, "R1 · viewer") && strings.Contains(text, "Approved by the on-call rule")
	}
	if dms := f.slack.DMs("U0CAROL"); len(dms) == 0 || !strings.Contains(f.slack.RenderMessage(dms[0]), "was approved by the on-call rule") {
		t.Errorf("carol's Reveal DM does not say the on-call rule approved R1")
	}
	if !loud || !status {
		for _, m := range f.slack.Messages("C0APPROVALS") {
			t.Log(f.slack.RenderMessage(m))
		}
		t.Fatalf("approvals channel: loud notice %v, approval message naming the rule %v", loud, status)
	}
	f.settle(t)
}
