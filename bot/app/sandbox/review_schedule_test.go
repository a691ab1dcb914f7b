package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
)

const scheduledReviewPolicy = sandboxPolicy + `escalate_after: 2h
escalate_to: [` + sandboxCarol + `]
review:
  schedule: "0 9 * * MON"
  grants_older_than: 1h
`

// countMessages counts the approvals channel's messages whose rendering has all of want.
func (s *sandbox) countMessages(want ...string) int {
	n := 0
	for _, m := range s.slack.Messages(sandboxChannel) {
		text := s.slack.RenderMessage(m)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			n++
		}
	}
	return n
}

// TestScheduledReview (issue 25): the policy's review schedule starts one review at each
// scheduled time (Mondays 9:00 in the policy's timezone), however often the sweep runs; a
// review nobody answers is reminded once in its thread after escalate_after, and escalated
// to escalate_to after twice that, who may then keep its API users; a scheduled review whose
// Datacake list is partial says so and is tried again a quarter of an hour later.
func TestScheduledReview(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: scheduledReviewPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "ci-pipeline")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	start := s.clock.Now()
	if at := s.app.Service().InstalledAt; at.After(start) {
		start = at
	}
	monday := start.In(berlin)
	monday = time.Date(monday.Year(), monday.Month(), monday.Day(), 9, 0, 0, 0, berlin)
	for monday.Weekday() != time.Monday || !monday.After(start) {
		monday = monday.AddDate(0, 0, 1)
	}
	tick := func() {
		t.Helper()
		if err := s.tick(ctx); err != nil {
			t.Fatal(err)
		}
	}

	s.clock.Set(monday.Add(-time.Minute))
	tick()
	if n := s.countMessages("Access review"); n != 0 {
		t.Fatalf("%d reviews before the scheduled time", n)
	}
	s.clock.Set(monday)
	tick()
	tick()
	if n := s.countMessages("Access review", "on cakegate's schedule", "ci-pipeline"); n != 1 {
		t.Fatalf("%d scheduled reviews at the scheduled time, want 1", n)
	}

	s.clock.Advance(2 * time.Hour)
	tick()
	tick()
	if n := s.countMessages("nobody has decided on any of its 1 item."); n != 1 {
		t.Fatalf("%d reminders after escalate_after, want 1", n)
	}
	if n := s.countMessages("Escalated to"); n != 0 {
		t.Fatalf("escalated at the first reminder")
	}
	s.clock.Advance(2 * time.Hour)
	tick()
	tick()
	if n := s.countMessages("Escalated to", "@carol"); n != 1 {
		t.Fatalf("%d escalations after twice escalate_after, want 1", n)
	}
	if _, err := s.dm(ctx, sandboxCarol, func(text string) bool { return strings.Contains(text, "was escalated to you") }); err != nil {
		t.Fatal(err)
	}
	m, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "on cakegate's schedule") })
	if err != nil {
		t.Fatal(err)
	}
	s.mustReviewClick(ctx, t, m, sandboxCarol, "keep", "ci-pipeline", "Kept")

	// The next Monday Datacake answers a partial list: the review says so, and is tried
	// again a quarter of an hour later.
	next := monday.AddDate(0, 0, 7)
	s.clock.Set(next)
	s.datacake.PartialAPIUsersNext(1)
	tick()
	if n := s.countMessages("Access review", "classed nothing and deleted nothing"); n != 1 {
		t.Fatalf("%d failed reviews, want 1", n)
	}
	s.clock.Advance(10 * time.Minute)
	tick()
	if n := s.countMessages("Access review", "Still to decide: 1 of 1"); n != 0 {
		t.Fatalf("retried before a quarter of an hour")
	}
	s.clock.Advance(5 * time.Minute)
	tick()
	err = s.slack.WaitFor(ctx, func(*slacktest.Server) bool { return s.countMessages("Access review", "Still to decide: 1 of 1") == 1 })
	if err != nil {
		t.Fatalf("the failed review was not retried: %v", err)
	}
}
