package bot_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// withClock puts the fixture's service on a manual clock at Friday 10:00 UTC.
func (f *homeFixture) withClock() *commandstest.Clock {
	c := commandstest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	f.svc.Clock = c
	return c
}

// deliverOutbox delivers everything queued, as the outbox worker would.
func (f *homeFixture) deliverOutbox(t *testing.T) {
	t.Helper()
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatalf("deliver outbox: %v", err)
	}
}

// sweepPending runs the scheduler's pending job and delivers what it queued.
func (f *homeFixture) sweepPending(t *testing.T) {
	t.Helper()
	if _, err := f.svc.TimeOutPending(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	f.deliverOutbox(t)
}

// clickMessage has user press a button on a message, as a signed interaction, and waits for
// the private answer containing want.
func (f *homeFixture) clickMessage(t *testing.T, user string, m slacktest.Message, actionID, want string) {
	t.Helper()
	cb, err := f.slack.ButtonClick(user, m.Channel, m.TS, actionID)
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, cb)
	err = f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		for _, e := range s.Ephemerals(user) {
			if strings.Contains(e.Text, want) {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("%s never read %q after the click: %v\nthey read: %+v", user, want, err, f.slack.Ephemerals(user))
	}
}

// topLevel returns the messages of a channel that are not thread replies.
func topLevel(ms []slacktest.Message) (top, replies []slacktest.Message) {
	for _, m := range ms {
		if m.ThreadTS != "" {
			replies = append(replies, m)
		} else {
			top = append(top, m)
		}
	}
	return top, replies
}

// TestEscalationStory: a request nobody decides is put to each approver by direct message
// and in the channel's thread, twice with doubling waits, then brought to escalate_to; the
// lead who decides from a direct message updates every copy, channel and DMs alike.
func TestEscalationStory(t *testing.T) {
	f := newHomeFixture(t)
	clock := f.withClock()
	f.slack.AddUser(slacktest.User{ID: "U0LEAD", Name: "lead"})
	f.slack.AddUserGroup("S0LEADS", "U0LEAD")
	p := f.svc.Policy
	p.NotifyApprovers = commands.NotifyBoth
	p.EscalateAfter = time.Hour
	p.EscalateTo = []string{"S0LEADS"}
	p.QuietHours = commands.QuietHours{Start: 20 * time.Hour, End: 8 * time.Hour}

	r := f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	if top, _ := topLevel(f.slack.Messages("C0APPROVALS")); len(top) != 1 {
		t.Fatalf("got %d approval messages in the channel, want 1", len(top))
	}
	for _, approver := range []string{"U0ANN", "U0BOB"} {
		if dms := f.slack.DMs(approver); len(dms) != 1 || !strings.Contains(f.slack.RenderMessage(dms[0]), "[Approve] [Deny]") {
			t.Fatalf("%s got %d DMs, want the request with its buttons", approver, len(dms))
		}
	}

	clock.Advance(time.Hour) // 11:00: round 1
	f.sweepPending(t)
	clock.Advance(2 * time.Hour) // 13:00: round 2, after twice the wait
	f.sweepPending(t)
	top, replies := topLevel(f.slack.Messages("C0APPROVALS"))
	if len(replies) != 2 || replies[0].ThreadTS != top[0].TS || !strings.Contains(replies[1].Text, "Reminder: R1") {
		t.Fatalf("want two reminders in the approval message's thread, got %+v", replies)
	}
	if n := len(f.slack.DMs("U0ANN")); n != 3 {
		t.Fatalf("ann got %d DMs, want the request and two reminders", n)
	}
	msg, _ := f.slack.Message(top[0].Channel, top[0].TS)
	if text := f.slack.RenderMessage(msg); !strings.Contains(text, "reminded approvers twice") {
		t.Fatalf("the channel message does not show the reminders:\n%s", text)
	}

	clock.Advance(4 * time.Hour) // 17:00: round 3 brings in the leads
	f.sweepPending(t)
	lead := f.slack.DMs("U0LEAD")
	if len(lead) != 1 {
		t.Fatalf("the lead got %d DMs, want the request", len(lead))
	}
	msg, _ = f.slack.Message(top[0].Channel, top[0].TS)
	if text := f.slack.RenderMessage(msg); !strings.Contains(text, "reminded approvers twice; escalated to") {
		t.Fatalf("the channel message does not show the escalation:\n%s", text)
	}

	f.clickMessage(t, "U0LEAD", lead[0], bot.ActionApprove, "You approved R1")
	f.deliverOutbox(t)
	copies := append([]slacktest.Message{msg}, f.slack.DMs("U0ANN")...)
	copies = append(copies, f.slack.DMs("U0BOB")...)
	copies = append(copies, f.slack.DMs("U0LEAD")[0])
	for _, c := range copies {
		c, _ = f.slack.Message(c.Channel, c.TS)
		text := f.slack.RenderMessage(c)
		if !strings.Contains(text, "Approved by @lead") || strings.Contains(text, "[Approve]") {
			t.Errorf("copy in %s still says:\n%s", c.Channel, text)
		}
	}
	got, err := f.svc.Store.Get(homeContext(t), r.ID)
	if err != nil || got.State != commands.StateApproved {
		t.Fatalf("R1: %v, %v", got, err)
	}
}

// TestQuietHoursHoldRoundsUntilMorning: a round due in the night waits for the morning.
func TestQuietHoursHoldRoundsUntilMorning(t *testing.T) {
	f := newHomeFixture(t)
	clock := f.withClock()
	clock.Advance(9 * time.Hour) // 19:00
	f.svc.Policy.EscalateAfter = 2 * time.Hour
	f.svc.Policy.QuietHours = commands.QuietHours{Start: 20 * time.Hour, End: 8 * time.Hour}
	f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	clock.Advance(2 * time.Hour) // 21:00
	f.sweepPending(t)
	if n := len(f.slack.DMs("U0ANN")); n != 0 {
		t.Fatalf("ann was messaged %d times in quiet hours", n)
	}
	clock.Advance(11 * time.Hour) // 08:00
	f.sweepPending(t)
	if n := len(f.slack.DMs("U0ANN")); n != 1 {
		t.Fatalf("ann got %d reminders in the morning, want 1", n)
	}
}

// TestRoutingToTheRolesChannel: a role's approvals_channel receives its requests, and the
// policy's channel does not.
func TestRoutingToTheRolesChannel(t *testing.T) {
	f := newHomeFixture(t)
	f.svc.Policy.Roles["viewer"].ApprovalsChannel = "C0FIELD"
	f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	if n := len(f.slack.Messages("C0APPROVALS")); n != 0 {
		t.Fatalf("%d messages in the policy's channel, want none", n)
	}
	ms := f.slack.Messages("C0FIELD")
	if len(ms) != 1 || !strings.Contains(f.slack.RenderMessage(ms[0]), "[Approve] [Deny]") {
		t.Fatalf("the role's channel got %+v, want the approval message", ms)
	}
}

// TestApproversByDMOnly: with notify_approvers: dm nothing is posted in the channel; each
// approver's copy says who decided once someone has.
func TestApproversByDMOnly(t *testing.T) {
	f := newHomeFixture(t)
	f.withClock()
	f.svc.Policy.NotifyApprovers = commands.NotifyDM
	f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	if n := len(f.slack.Messages("C0APPROVALS")); n != 0 {
		t.Fatalf("%d messages in the channel, want none", n)
	}
	ann, bob := f.slack.DMs("U0ANN"), f.slack.DMs("U0BOB")
	if len(ann) != 1 || len(bob) != 1 {
		t.Fatalf("ann got %d DMs, bob %d; want one each", len(ann), len(bob))
	}
	f.clickMessage(t, "U0BOB", bob[0], bot.ActionApprove, "You approved R1")
	f.deliverOutbox(t)
	if n := len(f.slack.Messages("C0APPROVALS")); n != 0 {
		t.Fatalf("the decision posted %d messages in the channel, want none", n)
	}
	m, _ := f.slack.Message(ann[0].Channel, ann[0].TS)
	if text := f.slack.RenderMessage(m); !strings.Contains(text, "Approved by @bob") || strings.Contains(text, "[Approve]") {
		t.Fatalf("ann's copy after bob approved:\n%s", text)
	}
}

// TestRemindApproversButton: the requester's Home tab offers "Remind approvers"; it pings
// the approvers once, and a second click within the hour says when it may be used again.
func TestRemindApproversButton(t *testing.T) {
	f := newHomeFixture(t)
	clock := f.withClock()
	f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("[Remind approvers] [Cancel]"))

	f.click(t, "U0CAROL", bot.ActionRemindApprovers)
	f.waitHome(t, "U0CAROL", homeShows(":bell: I reminded the approvers of R1"))
	f.deliverOutbox(t)
	if n := len(f.slack.DMs("U0ANN")); n != 1 {
		t.Fatalf("ann got %d DMs, want the reminder", n)
	}
	_, replies := topLevel(f.slack.Messages("C0APPROVALS"))
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "asks again for a decision on R1") {
		t.Fatalf("thread replies %+v, want the requester's ask", replies)
	}

	clock.Advance(30 * time.Minute)
	f.click(t, "U0CAROL", bot.ActionRemindApprovers)
	f.waitHome(t, "U0CAROL", homeShows("you can remind them again from 11:00 UTC"))
	f.deliverOutbox(t)
	if n := len(f.slack.DMs("U0ANN")); n != 1 {
		t.Fatalf("ann got %d DMs after a second click within the hour, want still 1", n)
	}
}

// TestRequestFormShowsTheReasonHint: the form shows the role's reason_hint, and a reason
// that does not fit is refused next to the field with the hint.
func TestRequestFormShowsTheReasonHint(t *testing.T) {
	f := newHomeFixture(t)
	viewer := f.svc.Policy.Roles["viewer"]
	viewer.Reason.Hint = "Start with the ticket id, like OPS-123."
	viewer.Reason.Pattern = regexp.MustCompile(`^[A-Z]+-[0-9]+`)
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("[Request a token]"))
	f.click(t, "U0CAROL", bot.ActionOpenRequest)
	var form string
	err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		for _, v := range s.Views("U0CAROL") {
			form = s.RenderView(v)
			return strings.Contains(form, "Start with the ticket id, like OPS-123.")
		}
		return false
	})
	if err != nil {
		t.Fatalf("the form does not show the hint: %v\n%s", err, form)
	}
	_, err = f.svc.CreateRequest(homeContext(t), commands.RequestInput{Requester: "U0CAROL", Role: "viewer", Devices: []string{"SN-1002"}, Reason: "look at it"})
	if commands.ErrorField(err) != commands.FieldReason || !strings.Contains(err.Error(), "Start with the ticket id") {
		t.Fatalf("got %v, want a refusal about the reason with the hint", err)
	}
}

// TestExtensionTimesOutStory: an extension nobody decides lapses after pending_timeout; the
// requester is told the token keeps its end, and the approval message drops the extension's
// buttons.
func TestExtensionTimesOutStory(t *testing.T) {
	f := newHomeFixture(t)
	clock := f.withClock()
	f.svc.Policy.PendingTimeout = 4 * time.Hour
	r := f.request(t, "U0CAROL")
	r, err := f.svc.Approve(homeContext(t), r.ID, "U0ANN")
	if err != nil {
		t.Fatal(err)
	}
	f.deliverOutbox(t)
	f.reveal(t, "U0CAROL")
	if r, err = f.svc.Store.Get(homeContext(t), r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Extend(homeContext(t), r.ID, "U0CAROL", 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	f.deliverOutbox(t)
	top, _ := topLevel(f.slack.Messages("C0APPROVALS")) // the approval message, then the extension's alert
	if len(top) == 0 || !strings.Contains(f.slack.RenderMessage(top[0]), "[Approve extension]") {
		t.Fatalf("the approval message does not offer the extension: %d messages", len(top))
	}

	clock.Advance(4 * time.Hour)
	f.sweepPending(t)
	m, _ := f.slack.Message(top[0].Channel, top[0].TS)
	if text := f.slack.RenderMessage(m); strings.Contains(text, "extension") {
		t.Fatalf("the approval message still shows the extension:\n%s", text)
	}
	dms := f.slack.DMs("U0CAROL")
	last := f.slack.RenderMessage(dms[len(dms)-1])
	if !strings.Contains(last, "has lapsed; your token still ends at") {
		t.Fatalf("carol was not told; her last DM:\n%s", last)
	}
	got, _ := f.svc.Store.Get(homeContext(t), r.ID)
	if got.Extension != nil || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
		t.Fatalf("after the lapse: extension %+v, end %v, want none and %v", got.Extension, got.Grant.ExpiresAt, r.Grant.ExpiresAt)
	}
}
