package commands_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// kinds returns the kinds of the notifications queued for id since the first skip ones,
// with the To of direct messages: "approver_dm:UANN".
func (e *env) kinds(id commands.RequestID, skip int) []string {
	var out []string
	for _, n := range e.store.Notifications(id)[skip:] {
		k := string(n.Kind)
		if n.To != "" {
			k += ":" + n.To
		}
		out = append(out, k)
	}
	return out
}

func (e *env) sweepPending(t *testing.T) commands.SweepResult {
	t.Helper()
	res, err := e.svc.TimeOutPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEscalationStory: a request nobody decides is re-notified after escalate_after, then
// after twice that, and after the second round brought to escalate_to; quiet hours hold a
// round until morning.
func TestEscalationStory(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.EscalateAfter = 2 * time.Hour
	e.svc.Policy.EscalateTo = []string{"SOPS"}
	e.svc.Policy.QuietHours = commands.QuietHours{Start: 20 * time.Hour, End: 8 * time.Hour}
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}}) // Friday 09:00
	seen := len(e.store.Notifications(r.ID))

	e.clock.Advance(2*time.Hour - time.Minute)
	if res := e.sweepPending(t); res.Done != 0 {
		t.Fatalf("a round before escalate_after: %+v", res)
	}
	e.clock.Advance(time.Minute) // 11:00: round 1
	e.sweepPending(t)
	e.sweepPending(t) // a second sweep sends nothing new
	want := []string{"approver_dm:UANN", "approver_dm:UBOB", "approval_thread", "approval_update"}
	if got := e.kinds(r.ID, seen); !slices.Equal(got, want) {
		t.Fatalf("round 1 queued %q, want %q", got, want)
	}
	seen = len(e.store.Notifications(r.ID))
	if got, _ := e.store.Get(ctx, r.ID); got.Escalation.Summary() != "reminded approvers once" {
		t.Fatalf("summary after round 1: %q", got.Escalation.Summary())
	}

	e.clock.Advance(4*time.Hour - time.Minute) // the wait doubles
	e.sweepPending(t)
	if n := len(e.store.Notifications(r.ID)); n != seen {
		t.Fatal("round 2 came before twice escalate_after")
	}
	e.clock.Advance(time.Minute) // 15:00: round 2
	e.sweepPending(t)
	seen = len(e.store.Notifications(r.ID))

	if _, err := e.svc.Approve(ctx, r.ID, dave); !errors.Is(err, commands.ErrNotApprover) {
		t.Fatalf("dave approving before the escalation: got %v, want ErrNotApprover", err)
	}
	if queue, _ := e.svc.Pending(ctx, dave); len(queue) != 0 {
		t.Fatalf("dave's queue before the escalation: %v", queue)
	}
	e.clock.Advance(8 * time.Hour) // 23:00: round 3 is due, but in quiet hours
	e.sweepPending(t)
	if n := len(e.store.Notifications(r.ID)); n != seen {
		t.Fatalf("quiet hours did not hold the escalation: %q", e.kinds(r.ID, seen))
	}
	e.clock.Advance(9 * time.Hour) // Saturday 08:00: morning
	e.sweepPending(t)
	want = []string{"approver_dm:SOPS", "approval_thread", "approval_update"}
	if got := e.kinds(r.ID, seen); !slices.Equal(got, want) {
		t.Fatalf("escalation queued %q, want %q", got, want)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if s := got.Escalation.Summary(); s != "reminded approvers twice; escalated to <!subteam^SOPS>" {
		t.Fatalf("summary: %q", s)
	}
	thread := e.store.Notifications(r.ID)[seen+1].Text
	if !strings.Contains(thread, "escalated to <!subteam^SOPS>") {
		t.Fatalf("thread reply %q does not say who was brought in", thread)
	}
	if acts := e.store.AuditActions(r.ID); !slices.Equal(acts, []string{"requested", "approvers_reminded", "approvers_reminded", "escalated"}) {
		t.Fatalf("audit: %q", acts)
	}

	if queue, err := e.svc.Pending(ctx, dave); err != nil || len(queue) != 1 || queue[0].ID != r.ID {
		t.Fatalf("dave's queue after the escalation: %v, %v", queue, err)
	}
	if r, err := e.svc.Approve(ctx, r.ID, dave); err != nil || r.State != commands.StateApproved {
		t.Fatalf("dave, escalated to through SOPS, approving: %v, %v", r, err)
	}
}

// TestEscalationLeavesWhoApprovedAlone: on a two-approval role, the approver who already said
// yes is not pinged again.
func TestEscalationLeavesWhoApprovedAlone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.Roles["device-editor"].EscalateAfter = time.Hour
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1"}})
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	seen := len(e.store.Notifications(r.ID))
	e.clock.Advance(time.Hour)
	e.sweepPending(t)
	want := []string{"approver_dm:UBOB", "approver_dm:SOPS", "approval_thread", "approval_update"}
	if got := e.kinds(r.ID, seen); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestEscalationReplacesHalfwayReminder: a policy that escalates does not also send the
// halfway reminder, and the request still times out.
func TestEscalationStillTimesOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.EscalateAfter = 20 * time.Hour
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	e.clock.Advance(24 * time.Hour)
	e.sweepPending(t)
	for _, n := range e.store.Notifications(r.ID) {
		if n.Kind == commands.NotifyApprovers {
			t.Fatalf("a halfway reminder besides the escalation: %+v", n)
		}
	}
	e.clock.Advance(24 * time.Hour)
	e.sweepPending(t)
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateTimedOut {
		t.Fatalf("got %s, want timed_out", got.State)
	}
}

// TestExtensionTimesOut: an extension nobody decides lapses after pending_timeout; the grant
// keeps its end and the requester is told.
func TestExtensionTimesOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.Policy.PendingTimeout = 4 * time.Hour
	r := e.active(t) // 8h
	end := r.Grant.ExpiresAt
	if _, err := e.svc.Extend(ctx, r.ID, carol, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(4*time.Hour - time.Minute)
	e.sweepPending(t)
	if got, _ := e.store.Get(ctx, r.ID); got.Extension == nil {
		t.Fatal("the extension lapsed early")
	}
	e.clock.Advance(time.Minute)
	if res := e.sweepPending(t); res.Done != 1 {
		t.Fatalf("got %+v, want one extension timed out", res)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.Extension != nil || !got.Grant.ExpiresAt.Equal(end) || got.State != commands.StateActive {
		t.Fatalf("after the timeout: extension %+v, end %v (want %v), state %s", got.Extension, got.Grant.ExpiresAt, end, got.State)
	}
	n := e.store.Notifications(r.ID)
	if last := n[len(n)-1]; last.Kind != commands.NotifyRequester || !strings.Contains(last.Text, "has lapsed; your token still ends at") {
		t.Fatalf("the requester was not told: %+v", last)
	}
	if acts := e.store.AuditActions(r.ID); acts[len(acts)-1] != "extension_timed_out" {
		t.Fatalf("audit: %q", acts)
	}
	if _, err := e.svc.Approve(ctx, r.ID, ann); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("approving the lapsed extension: got %v, want ErrWrongState", err)
	}
	if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); err != nil {
		t.Fatalf("asking again after the lapse: %v", err)
	}
}

// TestNotifyApprovers: notify_approvers decides whether the request is posted to the channel,
// sent to each approver by direct message, or both.
func TestNotifyApprovers(t *testing.T) {
	for _, tc := range []struct {
		top, role commands.NotifyMode
		want      []string
	}{
		{"", "", []string{"approval_request"}},
		{commands.NotifyDM, "", []string{"approver_dm:UANN", "approver_dm:UBOB", "approver_dm:SOPS"}},
		{"", commands.NotifyBoth, []string{"approval_request", "approver_dm:UANN", "approver_dm:UBOB", "approver_dm:SOPS"}},
		{commands.NotifyDM, commands.NotifyChannel, []string{"approval_request"}},
	} {
		t.Run(string(tc.top)+"_"+string(tc.role), func(t *testing.T) {
			e := newEnv(t)
			e.svc.Policy.NotifyApprovers = tc.top
			e.svc.Policy.Roles["device-editor"].NotifyApprovers = tc.role
			r := e.request(t, commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1"}})
			if got := e.kinds(r.ID, 0); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("HalfwayReminderByDM", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.NotifyApprovers = commands.NotifyDM
		r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
		e.clock.Advance(24 * time.Hour)
		e.sweepPending(t)
		want := []string{"approver_dm:UANN", "approver_dm:UBOB", "approver_dm:UANN", "approver_dm:UBOB"}
		if got := e.kinds(r.ID, 0); !slices.Equal(got, want) {
			t.Fatalf("got %q, want the request and the halfway reminder by DM only", got)
		}
	})
	t.Run("ExtensionByDM", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.NotifyApprovers = commands.NotifyDM
		r := e.active(t) // ann approved the request, not yet the extension
		seen := len(e.store.Notifications(r.ID))
		if _, err := e.svc.Extend(context.Background(), r.ID, carol, time.Hour); err != nil {
			t.Fatal(err)
		}
		want := []string{"approval_update", "approver_dm:UANN", "approver_dm:UBOB"}
		if got := e.kinds(r.ID, seen); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("RequesterNotAskedToApproveOwn", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.NotifyApprovers = commands.NotifyDM
		r := e.request(t, commands.RequestInput{Requester: ann, Role: "viewer", Devices: []string{"SN1"}})
		if got, want := e.kinds(r.ID, 0), []string{"approver_dm:UBOB"}; !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func TestReasonRules(t *testing.T) {
	ticket := regexp.MustCompile(`^[A-Z]+-[0-9]+`)
	for _, tc := range []struct {
		name   string
		rule   commands.ReasonRule
		reason string
		want   string // "" for accepted, else part of the refusal
	}{
		{"RequiredByDefault", commands.ReasonRule{}, "", "say why you need the token"},
		{"Optional", commands.ReasonRule{Optional: true}, "", ""},
		{"OptionalStillChecksForm", commands.ReasonRule{Optional: true, Pattern: ticket}, "because", "does not have the form"},
		{"TooShort", commands.ReasonRule{MinLength: 10}, "short", "at least 10 characters"},
		{"LongEnough", commands.ReasonRule{MinLength: 5}, "12345", ""},
		{"PatternMatches", commands.ReasonRule{Pattern: ticket}, "OPS-123 sensor swap", ""},
		{"PatternRefused", commands.ReasonRule{Pattern: ticket, Hint: "Start with the ticket id, like OPS-123."}, "sensor swap", "Start with the ticket id, like OPS-123."},
		{"HintWhenMissing", commands.ReasonRule{Hint: "Name the ticket."}, "", "Name the ticket."},
		{"TooLong", commands.ReasonRule{}, strings.Repeat("x", commands.MaxReasonLength+1), "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.svc.Policy.Roles["viewer"].Reason = tc.rule
			_, err := e.svc.Request(context.Background(), commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: tc.reason})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal with %q", err, tc.want)
			case tc.want != "" && commands.ErrorField(err) != commands.FieldReason:
				t.Fatalf("refusal %v is not about the reason field", err)
			}
		})
	}
}

// TestRemindApprovers: the requester's button pings the approvers again, at most once an hour.
func TestRemindApprovers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	if _, err := e.svc.RemindApprovers(ctx, r.ID, dave); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("someone else reminding: got %v, want ErrNotAllowed", err)
	}
	seen := len(e.store.Notifications(r.ID))
	if _, err := e.svc.RemindApprovers(ctx, r.ID, carol); err != nil {
		t.Fatal(err)
	}
	want := []string{"approver_dm:UANN", "approver_dm:UBOB", "approval_thread", "approval_update"}
	if got := e.kinds(r.ID, seen); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	e.clock.Advance(59 * time.Minute)
	_, err := e.svc.RemindApprovers(ctx, r.ID, carol)
	if !errors.Is(err, commands.ErrTooSoon) || !strings.Contains(err.Error(), "again from 10:00 UTC") {
		t.Fatalf("a second reminder within the hour: got %v, want ErrTooSoon", err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.RemindApprovers(ctx, r.ID, carol); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
	if acts := e.store.AuditActions(r.ID); !slices.Equal(acts, []string{"requested", "approvers_nudged", "approvers_nudged"}) {
		t.Fatalf("audit: %q", acts)
	}
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.RemindApprovers(ctx, r.ID, carol); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("reminding about an approved request: got %v, want ErrWrongState", err)
	}
}

func TestPolicyRouting(t *testing.T) {
	p := commandstest.Policy()
	p.Roles["device-editor"].ApprovalsChannel = "COPS"
	p.Roles["field"].ApprovalsChannel = "COPS"
	if got := p.ChannelOf(p.Roles["device-editor"]); got != "COPS" {
		t.Fatalf("device-editor goes to %s", got)
	}
	if got := p.ChannelOf(p.Roles["viewer"]); got != "CAPPROVALS" {
		t.Fatalf("viewer goes to %s", got)
	}
	if got := p.Channels(); !slices.Equal(got, []string{"CAPPROVALS", "COPS"}) {
		t.Fatalf("channels: %q", got)
	}
}

func TestQuietHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	overnight, err := commands.ParseQuietHours("20:00-08:00")
	if err != nil {
		t.Fatal(err)
	}
	lunch, _ := commands.ParseQuietHours("12:00-13:30")
	for _, tc := range []struct {
		q    commands.QuietHours
		at   string // UTC
		want bool
	}{
		{overnight, "2026-11-27T18:59:00Z", false}, // 19:59 in Berlin
		{overnight, "2026-11-27T19:00:00Z", true},  // 20:00 in Berlin
		{overnight, "2026-11-28T06:59:00Z", true},
		{overnight, "2026-11-28T07:00:00Z", false}, // 08:00 in Berlin
		{lunch, "2026-11-27T11:00:00Z", true},
		{lunch, "2026-11-27T12:30:00Z", false},
		{commands.QuietHours{}, "2026-11-27T02:00:00Z", false},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := tc.q.Contains(at, berlin); got != tc.want {
			t.Errorf("%s contains %s: got %v, want %v", tc.q, tc.at, got, tc.want)
		}
	}
}
