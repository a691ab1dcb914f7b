package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// newYork is a zone whose daylight-saving time ends on Sunday 2026-11-01 at 02:00.
func newYork(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseStart(t *testing.T) {
	ny := newYork(t)
	now := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC) // Saturday, 12:00 in New York (EDT)
	for _, tc := range []struct {
		text string
		want time.Time
	}{
		{"13:30", time.Date(2026, 10, 31, 17, 30, 0, 0, time.UTC)},
		{"today 9:00", time.Date(2026, 10, 31, 13, 0, 0, 0, time.UTC)},    // in the past: checkStart refuses it
		{"tomorrow 09:00", time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)}, // EST from 02:00 that night
		{"Tomorrow  09:00", time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		{"mon 09:00", time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)},
		{"monday 09:00", time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)},
		{"sat 11:00", time.Date(2026, 11, 7, 16, 0, 0, 0, time.UTC)}, // today's 11:00 is gone: next week's
		{"sat 13:00", time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC)},
		{"2026-11-02T09:00:00+01:00", time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)},
		{"2026-11-02T09:00Z", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)},
	} {
		got, err := commands.ParseStart(tc.text, now, ny)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseStart(%q) = %v, %v; want %v", tc.text, got.UTC(), err, tc.want)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"", "start= needs a time"},
		{"soon", `start="soon" is not a time cakegate understands`},
		{"25:00", "is not a time cakegate understands"},
		{"9:5", "is not a time cakegate understands"},
		{"someday 09:00", `"someday" is not today, tomorrow or a day of the week`},
		{"tomorrow +9:00", "is not a time cakegate understands"},
	} {
		_, err := commands.ParseStart(tc.text, now, ny)
		if !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `like start=09:00, start="tomorrow 09:00"`) {
			t.Errorf("ParseStart(%q): %v, want %q with an example", tc.text, err, tc.want)
		}
	}
	if _, err := commands.ParseStart("09:00", now, nil); err == nil || !strings.Contains(err.Error(), "could not read your time zone from Slack") {
		t.Errorf("09:00 without a zone: %v", err)
	}
	if got, err := commands.ParseStart("2026-11-02T09:00:00+01:00", now, nil); err != nil || got.UTC().Hour() != 8 {
		t.Errorf("RFC 3339 without a zone: %v, %v", got, err)
	}
}

func FuzzParseStart(f *testing.F) {
	for _, s := range []string{"09:00", "tomorrow 09:00", "mon 23:59", "2026-11-02T09:00:00+01:00", "sunday 0:00", "today 12:00", ""} {
		f.Add(s)
	}
	ny := newYork(f)
	now := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := commands.ParseStart(text, now, ny)
		if err != nil {
			var e *commands.Error
			if !errors.As(err, &e) || e.Code != commands.CodeInvalid || !strings.Contains(e.Message, "like start=") {
				t.Fatalf("ParseStart(%q): %v, want a refusal with an example", text, err)
			}
			return
		}
		// A wall time in the requester's zone is within the next 8 days (or earlier today).
		if !strings.Contains(text, "-") && (got.Before(now.Add(-24*time.Hour)) || got.After(now.Add(8*24*time.Hour))) {
			t.Fatalf("ParseStart(%q) = %v, not within a week of %v", text, got, now)
		}
	})
}

// TestScheduledStartAcrossDaylightSaving: a requester in New York asks on Saturday for
// "tomorrow 09:00", the night the clocks go back. Approved at once, the request cannot be
// revealed before 09:00 EST (14:00 UTC, not 13:00); at the start the requester is told;
// revealed half an hour later, the grant still ends at start + 2h.
func TestScheduledStartAcrossDaylightSaving(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.clock.Set(time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC))
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 2 * time.Hour, Start: "tomorrow 09:00", Zone: "America/New_York"})
	start := time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)
	if !r.StartAt.Equal(start) {
		t.Fatalf("StartAt = %v, want %v", r.StartAt, start)
	}
	if !strings.Contains(e.store.AuditEvents(r.ID)[0].Detail, "starting 2026-11-01T14:00:00Z") {
		t.Errorf("the request's audit does not say when it starts: %+v", e.store.AuditEvents(r.ID)[0])
	}
	r, err := e.svc.Approve(ctx, r.ID, ann)
	if err != nil || r.State != commands.StateApproved || r.StartTold || !r.RevealBy.Equal(start.Add(2*time.Hour)) {
		t.Fatalf("Approve: %+v %v; want approved, not told yet, reveal by start+2h", r, err)
	}

	e.clock.Set(start.Add(-time.Minute))
	if _, err := e.svc.Reveal(ctx, r.ID, carol, e.notifier.Show); !errors.Is(err, commands.ErrTooSoon) || !strings.Contains(err.Error(), "starts at 2026-11-01 14:00 UTC") {
		t.Fatalf("Reveal a minute early: %v, want refused until the start", err)
	}
	if _, err := e.svc.LapseUnrevealed(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.StartTold {
		t.Fatal("told before the start")
	}

	e.clock.Set(start)
	if _, err := e.svc.LapseUnrevealed(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Get(ctx, r.ID); !got.StartTold || got.State != commands.StateApproved {
		t.Fatalf("at the start: told %v in %s", got.StartTold, got.State)
	}
	reveals := 0
	for _, n := range e.store.Notifications(r.ID) {
		if n.Kind == commands.NotifyReveal {
			reveals++
		}
	}
	if reveals != 2 {
		t.Fatalf("%d Reveal messages queued, want one at the approval and one at the start", reveals)
	}

	e.clock.Set(start.Add(30 * time.Minute))
	r = e.reveal(t, r.ID)
	if want := start.Add(2 * time.Hour); !r.Grant.ExpiresAt.Equal(want) {
		t.Fatalf("grant ends %v, want start + 2h = %v", r.Grant.ExpiresAt, want)
	}
}

// TestScheduledStartMeets: what a scheduled request meets before its start, and the start
// refusals.
func TestScheduledStartMeets(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	ask := func(e *env, start string) *commands.Request {
		return e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 2 * time.Hour, Start: start, Zone: "Europe/Berlin"})
	}
	t.Run("ApprovedAfterItsStartStartsThen", func(t *testing.T) {
		e := newEnv(t)
		e.clock.Set(base)
		r := ask(e, "11:00") // 10:00 UTC
		e.clock.Set(base.Add(3 * time.Hour))
		r, err := e.svc.Approve(ctx, r.ID, ann)
		if err != nil || !r.StartAt.Equal(base.Add(3*time.Hour)) || !r.StartTold {
			t.Fatalf("late approval: %+v %v; want it to start at the approval", r, err)
		}
		if r = e.reveal(t, r.ID); !r.Grant.ExpiresAt.Equal(base.Add(5 * time.Hour)) {
			t.Fatalf("grant ends %v, want approval + 2h", r.Grant.ExpiresAt)
		}
	})
	t.Run("CancelBeforeStart", func(t *testing.T) {
		e := newEnv(t)
		e.clock.Set(base)
		r := ask(e, "tomorrow 09:00")
		if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		if r, err := e.svc.Cancel(ctx, r.ID, carol); err != nil || r.State != commands.StateCancelled {
			t.Fatalf("cancel before the start: %v %v", r, err)
		}
	})
	t.Run("WithdrawBeforeStart", func(t *testing.T) {
		e := newEnv(t)
		e.clock.Set(base)
		r := ask(e, "tomorrow 09:00")
		if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		if r, err := e.svc.Revoke(ctx, r.ID, bob, "not needed"); err != nil || r.State != commands.StateRevoked {
			t.Fatalf("withdraw before the start: %v %v", r, err)
		}
	})
	t.Run("LapsesWhenNotRevealedByStartPlusDuration", func(t *testing.T) {
		e := newEnv(t)
		e.clock.Set(base)
		r := ask(e, "11:00")
		if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(base.Add(3 * time.Hour)) // start 10:00 UTC + 2h passed
		if _, err := e.svc.LapseUnrevealed(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateLapsed {
			t.Fatalf("got %s, want lapsed: its whole time passed unrevealed", got.State)
		}
	})
	for _, tc := range []struct{ name, start, zone, want string }{
		{"Past", "09:30", "Europe/Berlin", "is in the past"},
		{"BeyondMaxLead", "2026-12-10T09:00:00Z", "", "is more than 7d ahead, the most the policy allows (max_lead)"},
		{"UnknownZone", "11:00", "Mars/Olympus", `your Slack time zone "Mars/Olympus" is unknown to cakegate`},
		{"NoZone", "11:00", "", "could not read your time zone from Slack"},
		{"Unparseable", "later", "Europe/Berlin", `start="later" is not a time cakegate understands`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.clock.Set(base)
			_, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: "x", Start: tc.start, Zone: tc.zone})
			if !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || commands.ErrorField(err) != commands.FieldStart {
				t.Fatalf("got %v, want %q about start", err, tc.want)
			}
		})
	}
}

// TestAlarmTellsTheStartOnTime: the alarm wakes at a scheduled start (NextDue names it) and
// TellStartsDue tells the requester then, rather than at the reveal sweep's next run.
func TestAlarmTellsTheStartOnTime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.clock.Set(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: 2 * time.Hour, Start: "2026-12-07T09:00:00Z"})
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if next, err := e.svc.NextDue(ctx, start.Add(-30*time.Second)); err != nil || !next.Equal(start) {
		t.Fatalf("NextDue half a minute before the start = %v (%v), want the start %v", next, err, start)
	}
	e.clock.Set(start)
	if res, err := e.svc.TellStartsDue(ctx); err != nil || res.Done != 1 {
		t.Fatalf("TellStartsDue at the start: %+v %v, want one told", res, err)
	}
	if got, _ := e.store.Get(ctx, r.ID); !got.StartTold {
		t.Fatal("the requester was not told at the start")
	}
	if next, err := e.svc.NextDue(ctx, start); err != nil || !next.IsZero() {
		t.Fatalf("after the start was told: NextDue = %v (%v), want nothing due", next, err)
	}
}
