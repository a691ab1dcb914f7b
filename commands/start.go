package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxLead is how far ahead start= may be when the policy sets no max_lead.
const DefaultMaxLead = 7 * 24 * time.Hour

// MaxStartText bounds the start= text read; anything longer is no time.
const MaxStartText = 64

// startExample ends every refusal of a start, so the person sees what works.
const startExample = "write it like start=09:00, start=\"tomorrow 09:00\", start=\"mon 09:00\" (in your Slack time zone) or start=2026-12-07T09:00:00+01:00"

// weekdays are the day names start= takes, by their first three letters.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseStart reads when a request should start: an RFC 3339 time (with its own offset), or
// "HH:MM" (today), "tomorrow HH:MM" or a weekday like "mon HH:MM" (its next one; today
// while the time is still ahead) in loc, the requester's time zone. A wall time a
// daylight-saving change skips or repeats is read as Go's time.Date reads it. loc may be nil
// when the requester's zone is unknown: then only RFC 3339 is understood. It does not judge
// whether the time is too early or too late: checkStart does.
func ParseStart(text string, now time.Time, loc *time.Location) (time.Time, error) {
	s := strings.ToLower(strings.Join(strings.Fields(text), " "))
	if s == "" || len(s) > MaxStartText {
		return time.Time{}, startError("start= needs a time")
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, strings.ToUpper(s)); err == nil {
			return t, nil
		}
	}
	day, clock, found := strings.Cut(s, " ")
	if !found {
		day, clock = "", s
	}
	h, m, ok := parseClock(clock)
	if !ok {
		return time.Time{}, startError("start=" + Escape(strconv.Quote(shortText(text))) + " is not a time cakegate understands")
	}
	if loc == nil {
		return time.Time{}, startError("cakegate could not read your time zone from Slack, so it cannot tell when " + Escape(clock) + " is for you; give the time with its offset, like start=2026-12-07T09:00:00+01:00, or set your time zone in Slack")
	}
	local := now.In(loc)
	at := func(offset int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+offset, h, m, 0, 0, loc)
	}
	switch day {
	case "", "today":
		return at(0), nil
	case "tomorrow":
		return at(1), nil
	}
	wd, ok := weekdays[day]
	if !ok && len(day) > 3 {
		if full, found := weekdays[day[:3]]; found && strings.HasPrefix(strings.ToLower(full.String()), day) {
			wd, ok = full, true
		}
	}
	if !ok {
		return time.Time{}, startError("start=" + Escape(strconv.Quote(shortText(text))) + ": " + Escape(strconv.Quote(shortText(day))) + " is not today, tomorrow or a day of the week")
	}
	offset := (int(wd) - int(local.Weekday()) + 7) % 7
	if t := at(offset); offset == 0 && !t.After(now) {
		return at(7), nil
	}
	return at(offset), nil
}

// parseClock reads "HH:MM" (or "H:MM") on a 24-hour clock.
func parseClock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(s, ":")
	if !found || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || hs[0] == '+' || hs[0] == '-' || ms[0] == '+' || ms[0] == '-' {
		return 0, 0, false
	}
	return h, m, true
}

// checkStart refuses a start in the past or further ahead than max_lead.
func (s *Service) checkStart(t, now time.Time) error {
	lead := s.Policy.MaxLead
	if lead <= 0 {
		lead = DefaultMaxLead
	}
	switch {
	case !t.After(now):
		return startError("the start " + t.UTC().Format("2006-01-02 15:04 UTC") + " is in the past; for tomorrow write start=\"tomorrow HH:MM\", or leave start= out to begin as soon as it is approved")
	case t.Sub(now) > lead:
		return startError("the start " + t.UTC().Format("2006-01-02 15:04 UTC") + " is more than " + FormatDuration(lead) + " ahead, the most the policy allows (max_lead); ask closer to the time")
	}
	return nil
}

// startError is a refusal of start=, with examples of what works.
func startError(msg string) error {
	return Errorf(CodeInvalid, "%s; %s.", msg, startExample).about(FieldStart)
}

func shortText(s string) string {
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

// requestStart reads and checks in.Start; zero for none.
func (s *Service) requestStart(in RequestInput) (time.Time, error) {
	if strings.TrimSpace(in.Start) == "" {
		return time.Time{}, nil
	}
	var loc *time.Location
	if in.Zone != "" {
		l, err := time.LoadLocation(in.Zone)
		if err != nil {
			return time.Time{}, startError("your Slack time zone " + Escape(strconv.Quote(shortText(in.Zone))) + " is unknown to cakegate; give the time with its offset, like start=2026-12-07T09:00:00+01:00")
		}
		loc = l
	}
	now := s.now()
	t, err := ParseStart(in.Start, now, loc)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.checkStart(t, now); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// scheduled reports whether r starts later than now: Reveal waits for its start.
func (r *Request) scheduled(now time.Time) bool {
	return !r.StartAt.IsZero() && now.Before(r.StartAt)
}

// revealDeadline is when an approval given at now lapses unrevealed: reveal_within after
// its start, and never after the end its start and duration allow.
func (s *Service) revealDeadline(r *Request, now time.Time) time.Time {
	if r.StartAt.IsZero() {
		return now.Add(s.Policy.RevealWindow())
	}
	return r.StartAt.Add(min(s.Policy.RevealWindow(), r.Duration))
}

// notStartedYet refuses a Reveal before the start.
func notStartedYet(r *Request) error {
	return Errorf(CodeTooSoon, "%s starts at %s; Reveal works from then, and I will message you when it does.", r.ID, r.StartAt.UTC().Format("2006-01-02 15:04 UTC"))
}

// startDue reports whether r's start came and its requester was not told yet.
func startDue(r *Request, now time.Time) bool {
	return r.State == StateApproved && !r.StartAt.IsZero() && !r.StartTold && !now.Before(r.StartAt)
}

// TellStartsDue tells the requester of every approved scheduled request whose start has
// come that their access is ready: the alarm runs it at the start (NextDue names it), and
// the reveal sweep (LapseUnrevealed) is the safety net.
func (s *Service) TellStartsDue(ctx context.Context) (SweepResult, error) {
	approved, err := s.Store.InState(ctx, StateApproved)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find approved requests: %w", err)
	}
	var res SweepResult
	for _, r := range approved {
		if startDue(r, s.now()) {
			res.count(s, r.ID, "start", s.tellStart(ctx, r.ID))
		}
	}
	return res, nil
}

// tellStart tells the requester of an approved scheduled request that its access is ready:
// a new direct message with the Reveal token button, which works from now.
func (s *Service) tellStart(ctx context.Context, id RequestID) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		now := s.now()
		if !startDue(r, now) {
			return Change{}, errNotDue
		}
		r.StartTold, r.UpdatedAt = true, now
		return Change{
			Audit:  []AuditEvent{s.event(r, Actor, "start_reached", r.State, "started "+r.StartAt.UTC().Format(time.RFC3339)+"; Reveal works until "+r.RevealBy.UTC().Format(time.RFC3339))},
			Outbox: []Notification{s.notify(r, NotifyReveal, ""), s.notify(r, NotifyApprovalUpdate, "")},
		}, nil
	})
	return err
}
