package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// channelPosts returns the chat.postMessage calls to the approvals channel: ok ones and
// failed ones.
func channelPosts(s *sandbox) (ok, failed []slacktest.Call) {
	for _, c := range s.slack.CallsTo("chat.postMessage") {
		if c.Params["channel"] != sandboxChannel {
			continue
		}
		if c.OK() {
			ok = append(ok, c)
		} else {
			failed = append(failed, c)
		}
	}
	return ok, failed
}

// outboxDepth reads how many notifications wait in the outbox.
func outboxDepth(ctx context.Context, t *testing.T, s *sandbox) int {
	t.Helper()
	n, err := s.app.Store().OutboxDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// queued returns the one notification of kind waiting in the outbox.
func queued(ctx context.Context, t *testing.T, s *sandbox, kind commands.NotificationKind) commands.Notification {
	t.Helper()
	all, err := s.app.Store().DueNotifications(ctx, s.clock.Now().Add(1000*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var found []commands.Notification
	for _, n := range all {
		if n.Kind == kind {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s notifications in the outbox, want 1: %+v", len(found), kind, all)
	}
	return found[0]
}

// settleOutbox waits for a delivery run that is under way to end, and runs one more.
func settleOutbox(ctx context.Context, t *testing.T, s *sandbox) int {
	t.Helper()
	n, err := s.app.Bot().DeliverOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutboxSurvivesSlackFailureAndRestart: the approval message cannot be posted (the
// channel fails), so it stays in the outbox; cakegate is stopped and started again on the
// same database with Slack healthy, and posts it, once.
func TestOutboxSurvivesSlackFailureAndRestart(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	s.slack.SetChannelError(sandboxChannel, "channel_not_found")

	answer, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "confirmation", answer, "R1 is waiting for approval")
	if _, err := s.slack.WaitForCall(ctx, "chat.postMessage", func(c slacktest.Call) bool { return c.Params["channel"] == sandboxChannel }); err != nil {
		t.Fatal(err)
	}
	settleOutbox(ctx, t, s)
	if ok, failed := channelPosts(s); len(ok) != 0 || len(failed) == 0 || failed[0].Error != "channel_not_found" {
		t.Fatalf("posts to the channel: %d ok, %d failed (%+v), want only failures", len(ok), len(failed), failed)
	}
	if depth := outboxDepth(ctx, t, s); depth != 1 {
		t.Fatalf("outbox depth %d, want 1 (the approval message)", depth)
	}
	n := queued(ctx, t, s, commands.NotifyApprovalRequest)
	if n.Attempts == 0 || !strings.Contains(n.LastError, "channel_not_found") {
		t.Fatalf("queued %+v, want a failed attempt with Slack's error", n)
	}

	// Redeploy: stop, Slack recovers, time passes, start on the same database.
	if err := s.stopApp(); err != nil {
		t.Fatal(err)
	}
	s.slack.SetChannelError(sandboxChannel, "")
	s.clock.Advance(time.Hour)
	if err := s.startApp(); err != nil {
		t.Fatal(err)
	}

	msg, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "[Approve]") })
	if err != nil {
		t.Fatal(err)
	}
	settleOutbox(ctx, t, s)
	if depth := outboxDepth(ctx, t, s); depth != 0 {
		t.Fatalf("outbox depth %d after delivery, want 0", depth)
	}
	if ok, _ := channelPosts(s); len(ok) != 1 || len(s.slack.Messages(sandboxChannel)) != 1 {
		t.Fatalf("%d posts and %d messages in the channel, want the approval message once", len(ok), len(s.slack.Messages(sandboxChannel)))
	}
	// The restarted cakegate recorded where it posted: the buttons work.
	answer, err = s.click(ctx, sandboxAnn, msg.Channel, msg.TS, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "ann's confirmation", answer, "You approved R1")
}

// TestOutboxHonoursRetryAfter: Slack rate-limits the approval message with Retry-After 30s.
// The outbox does not try again before 30 s have passed on cakegate's clock, and does once
// they have.
func TestOutboxHonoursRetryAfter(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	s.slack.RateLimitNext("chat.postMessage", 1, 30*time.Second)

	t0 := s.clock.Now()
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.slack.WaitForCall(ctx, "chat.postMessage", func(c slacktest.Call) bool { return c.Error == "ratelimited" }); err != nil {
		t.Fatal(err)
	}
	if n := settleOutbox(ctx, t, s); n != 0 {
		t.Fatalf("delivered %d right after the 429, want 0", n)
	}
	n := queued(ctx, t, s, commands.NotifyApprovalRequest)
	if wait := n.NextAttemptAt.Sub(t0); wait < 30*time.Second || wait > 31*time.Second {
		t.Fatalf("next attempt %v after the 429, want Retry-After's 30s", wait)
	}

	s.clock.Advance(29 * time.Second)
	if n := settleOutbox(ctx, t, s); n != 0 {
		t.Fatalf("delivered %d after 29s, want 0 before Retry-After", n)
	}
	if ok, _ := channelPosts(s); len(ok) != 0 {
		t.Fatalf("%d posts before Retry-After, want 0", len(ok))
	}

	s.clock.Advance(2 * time.Second)
	settleOutbox(ctx, t, s)
	if _, err := s.approvalMessage(ctx, "R1", nil); err != nil {
		t.Fatal(err)
	}
	if ok, failed := channelPosts(s); len(ok) != 1 || len(failed) != 1 {
		t.Fatalf("%d ok and %d failed posts, want 1 and 1", len(ok), len(failed))
	}
	if depth := outboxDepth(ctx, t, s); depth != 0 {
		t.Fatalf("outbox depth %d, want 0", depth)
	}
}

// deleteMessage deletes a message in the fake Slack, as a person with the rights would.
func deleteMessage(ctx context.Context, t *testing.T, s *sandbox, m slacktest.Message) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"delete_original": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.slack.ResponseURLFor(m.Channel, sandboxBob, m.TS), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, found := s.slack.Message(m.Channel, m.TS); found {
		t.Fatal("the message was not deleted")
	}
}

// TestApprovalMessageUpdatedInPlace: each decision updates the approval message where it
// is (chat.update on its ts); once someone deleted it in Slack, the next update posts it
// afresh, and the one after updates the new message.
func TestApprovalMessageUpdatedInPlace(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=device-editor devices=SN-1001 for=4h reason="x"`); err != nil {
		t.Fatal(err)
	}
	first, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		t.Fatal(err)
	}

	// Ann's approval (1 of 2) updates the message in place.
	if _, err := s.click(ctx, sandboxAnn, first.Channel, first.TS, bot.ActionApprove); err != nil {
		t.Fatal(err)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "1 of 2") }); err != nil {
		t.Fatal(err)
	}
	settleOutbox(ctx, t, s)
	for _, c := range s.slack.CallsTo("chat.update") {
		if c.Params["ts"] != first.TS || c.Params["channel"] != sandboxChannel {
			t.Fatalf("chat.update of %s/%s, want the approval message %s", c.Params["channel"], c.Params["ts"], first.TS)
		}
	}
	if msgs := s.slack.Messages(sandboxChannel); len(msgs) != 1 || msgs[0].TS != first.TS || msgs[0].Updates == 0 {
		t.Fatalf("channel holds %+v, want the first message, updated", msgs)
	}

	// Someone deletes it; Bob's final approval must show up all the same.
	deleteMessage(ctx, t, s, first)
	if _, err := s.click(ctx, sandboxBob, first.Channel, first.TS, bot.ActionApprove); err == nil {
		t.Fatal("clicked a button on a deleted message")
	}
	bobURL := ackedSlash(ctx, t, s, sandboxBob, "approve R1")
	answer, err := s.answer(ctx, bobURL)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "bob's confirmation", answer, "You approved R1")
	second, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "to reveal the token") })
	if err != nil {
		t.Fatal(err)
	}
	if second.TS == first.TS {
		t.Fatal("the reposted message has the deleted one's ts")
	}
	if _, err := s.slack.WaitForCall(ctx, "chat.update", func(c slacktest.Call) bool { return c.Error == "message_not_found" }); err != nil {
		t.Fatalf("no update of the deleted message was tried first: %v", err)
	}
	settleOutbox(ctx, t, s)
	if r := requestState(ctx, t, s, 1); r.Message.TS != second.TS || r.Message.Channel != sandboxChannel {
		t.Fatalf("R1 records message %+v, want the new one %s", r.Message, second.TS)
	}
	if msgs := s.slack.Messages(sandboxChannel); len(msgs) != 1 {
		t.Fatalf("%d messages in the channel, want the reposted one only", len(msgs))
	}

	// The next change updates the new message in place.
	updatesBefore := len(s.slack.CallsTo("chat.update"))
	s.revealR1(t, ctx)
	settleOutbox(ctx, t, s)
	updates := s.slack.CallsTo("chat.update")[updatesBefore:]
	if len(updates) == 0 {
		t.Fatal("the reveal did not update the message")
	}
	for _, c := range updates {
		if c.Params["channel"] != sandboxChannel {
			continue // the Reveal DM follows the request too
		}
		if c.Params["ts"] != second.TS || !c.OK() {
			t.Fatalf("chat.update of ts %s (%s), want the reposted message %s", c.Params["ts"], c.Error, second.TS)
		}
	}
	if msgs := s.slack.Messages(sandboxChannel); len(msgs) != 1 || msgs[0].TS != second.TS {
		t.Fatalf("channel holds %d messages, want the reposted one only", len(msgs))
	}
}
