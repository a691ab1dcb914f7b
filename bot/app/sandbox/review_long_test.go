package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// TestLongReviewUpdatesWhatChanged: a review of 25 API users is a head message and three
// thread replies. A decision updates the head (its count) and the reply holding the item,
// not every part: chat.update allows about 50 calls a minute, and a long review decided
// item by item would spend them on messages that say the same as before.
func TestLongReviewUpdatesWhatChanged(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: reviewPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, fmt.Sprintf("export-%02d", i+1))
	}
	answer, err := s.slash(ctx, sandboxAnn, "review")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the review's answer", answer, "25 items")
	head, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Still to decide: 25 of 25") })
	if err != nil {
		t.Fatal(err)
	}
	var part slacktest.Message
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.Messages(sandboxChannel) {
			if m.ThreadTS == head.TS && strings.Contains(string(m.Blocks), "export-15") {
				part = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no thread reply lists export-15: %v", err)
	}
	updates := func() []string {
		if err := s.work.wait(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.Bot().DeliverOutbox(ctx); err != nil {
			t.Fatal(err)
		}
		var ts []string
		for _, c := range s.slack.CallsTo("chat.update") {
			ts = append(ts, c.Params["ts"])
		}
		return ts
	}
	before := len(updates())

	s.mustReviewClick(ctx, t, part, sandboxBob, "keep", "export-15", "Kept")
	if _, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Still to decide: 24 of 25") }); err != nil {
		t.Fatal(err)
	}
	got := updates()[before:]
	slices.Sort(got)
	want := []string{head.TS, part.TS}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("one decision updated messages %v, want the head and the reply holding the item, %v", got, want)
	}
	if m, _ := s.slack.Message(part.Channel, part.TS); !strings.Contains(s.slack.RenderMessage(m), "Kept by") {
		t.Fatalf("the reply holding the item does not say it was kept:\n%s", s.slack.RenderMessage(m))
	}
}
