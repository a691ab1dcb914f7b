package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// globalJitter is the jitter of a bot built without a Rand.
var globalJitter = (&Bot{}).jitter

func TestRetryDelay(t *testing.T) {
	t.Run("RetryAfterHonoured", func(t *testing.T) {
		limited := &slack.RateLimitedError{RetryAfter: 30 * time.Second}
		for _, err := range []error{limited, fmt.Errorf("post: %w", limited)} {
			for _, attempt := range []int{1, 5, 59} {
				if got := retryDelay(attempt, err, globalJitter); got != 30*time.Second {
					t.Errorf("retryDelay(%d, %v) = %v, want Retry-After's 30s", attempt, err, got)
				}
			}
		}
		// Without a Retry-After the backoff applies.
		if got := retryDelay(1, &slack.RateLimitedError{}, globalJitter); got < outboxRetryBase/2 || got > outboxRetryBase {
			t.Errorf("retryDelay(1, 429 without Retry-After) = %v, want the first backoff", got)
		}
	})
	t.Run("GrowsExponentiallyUpToTheCap", func(t *testing.T) {
		err := errors.New("internal_error")
		ceiling := outboxRetryBase
		for attempt := 1; attempt <= outboxMaxAttempts+5; attempt++ {
			for range 20 {
				got := retryDelay(attempt, err, globalJitter)
				if got < ceiling/2 || got > ceiling {
					t.Fatalf("retryDelay(%d) = %v, want within [%v, %v]", attempt, got, ceiling/2, ceiling)
				}
			}
			ceiling = min(2*ceiling, outboxRetryMax)
		}
		if got := retryDelay(1<<30, err, globalJitter); got < outboxRetryMax/2 || got > outboxRetryMax {
			t.Fatalf("retryDelay(1<<30) = %v, want within the cap", got)
		}
	})
	t.Run("Jitter", func(t *testing.T) {
		err := errors.New("internal_error")
		const attempt = 4 // ceiling 40s
		seen := map[time.Duration]bool{}
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 1000 {
			d := retryDelay(attempt, err, globalJitter)
			seen[d] = true
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < 20*time.Second || hi > 40*time.Second {
			t.Fatalf("delays within [%v, %v], want within [20s, 40s]", lo, hi)
		}
		// Workers that failed together must not retry in lockstep: the draws spread over
		// the range rather than clumping.
		if len(seen) < 900 || hi-lo < 15*time.Second {
			t.Fatalf("%d distinct delays within [%v, %v]: no real jitter", len(seen), lo, hi)
		}
	})
}

const outboxChannel = "C0APPROVALS"

// newOutboxBot is a Bot whose outbox holds one alert for the approvals channel.
func newOutboxBot(t *testing.T, attempts int) (*Bot, *commandstest.Store, *commandstest.Clock, *slacktest.Server) {
	t.Helper()
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	outbox := commandstest.NewStore()
	outbox.Enqueue(commands.Notification{
		ID: 7, Kind: commands.NotifyApprovers, Text: "cakegate deleted an API user no grant owned.", CreatedAt: clock.Now(), Attempts: attempts,
	})
	b := New(Config{
		Service: &commands.Service{Policy: &commands.Policy{ApprovalsChannel: outboxChannel}, Clock: clock},
		Slack:   slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		Outbox:  outbox,
	})
	return b, outbox, clock, fake
}

func deliverOutbox(t *testing.T, b *Bot) int {
	t.Helper()
	n, err := b.DeliverOutbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliverOutboxRateLimited(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	fake.RateLimitNext("chat.postMessage", 1, 30*time.Second)
	t0 := clock.Now()

	if n := deliverOutbox(t, b); n != 0 {
		t.Fatalf("delivered %d while rate limited", n)
	}
	n, ok := outbox.Queued(7)
	if !ok || n.Attempts != 1 || !n.NextAttemptAt.Equal(t0.Add(30*time.Second)) || n.LastError == "" {
		t.Fatalf("after a 429 the notification is %+v (queued %v), want retried at +30s", n, ok)
	}
	clock.Advance(30*time.Second - time.Millisecond)
	if n := deliverOutbox(t, b); n != 0 || len(fake.CallsTo("chat.postMessage")) != 1 {
		t.Fatalf("delivered %d (%d calls) before Retry-After passed", n, len(fake.CallsTo("chat.postMessage")))
	}
	clock.Advance(time.Millisecond)
	if n := deliverOutbox(t, b); n != 1 {
		t.Fatalf("delivered %d once Retry-After passed, want 1", n)
	}
	if msgs := fake.Messages(outboxChannel); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "no grant owned") {
		t.Fatalf("channel holds %+v, want the alert once", msgs)
	}
	if _, queued := outbox.Queued(7); queued {
		t.Fatal("the delivered notification is still queued")
	}
}

func TestDeliverOutboxBacksOffOnError(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	fake.FailNext("chat.postMessage", 1, "internal_error")
	t0 := clock.Now()
	if n := deliverOutbox(t, b); n != 0 {
		t.Fatalf("delivered %d although Slack failed", n)
	}
	n, _ := outbox.Queued(7)
	if wait := n.NextAttemptAt.Sub(t0); n.Attempts != 1 || wait < outboxRetryBase/2 || wait > outboxRetryBase || !strings.Contains(n.LastError, "internal_error") {
		t.Fatalf("after a failure the notification is %+v (retry in %v), want retried within the first backoff", n, wait)
	}
	clock.Advance(outboxRetryBase)
	if n := deliverOutbox(t, b); n != 1 {
		t.Fatalf("delivered %d after the backoff, want 1", n)
	}
}

func TestDeliverOutboxGivesUpAtLast(t *testing.T) {
	b, outbox, _, fake := newOutboxBot(t, outboxMaxAttempts-1)
	fake.FailNext("chat.postMessage", 1, "internal_error")
	if n := deliverOutbox(t, b); n != 0 {
		t.Fatalf("delivered %d although Slack failed", n)
	}
	if _, queued := outbox.Queued(7); queued || !outbox.Completed(7) {
		t.Fatalf("after the last attempt the notification is queued=%v, completed %v; want dropped", queued, outbox.Completed(7))
	}
}

// A notification given up on is dead-lettered: audited, and the approvers alerted, so that
// giving up is never silent (found by the simulation: an archived approvals channel made
// the outbox drop approval updates after 60 attempts with only a log line).
func TestDeliverOutboxDeadLettersWhatItGivesUp(t *testing.T) {
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	store := commandstest.NewStore()
	r := &commands.Request{Requester: "U0ALICE", State: commands.StateDenied}
	if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	id := r.ID
	store.Enqueue(commands.Notification{ID: 7, Kind: commands.NotifyRequester, Request: id, Text: id.String() + " was denied.", CreatedAt: clock.Now(), Attempts: outboxMaxAttempts - 1})
	b := New(Config{
		Service:  &commands.Service{Policy: &commands.Policy{ApprovalsChannel: outboxChannel}, Clock: clock, Journal: store},
		Slack:    slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		Outbox:   store,
		Requests: store,
	})
	fake.Fail5xxNext("conversations.open", 1)
	deliverOutbox(t, b)
	if _, queued := store.Queued(7); queued {
		t.Fatal("the notification given up on is still queued")
	}
	if got := store.AuditActions(id); len(got) != 1 || got[0] != "dead_letter" {
		t.Fatalf("audit of %s: %v, want one dead_letter", id, got)
	}
	var alert *commands.Notification
	for _, n := range store.Notifications(id) {
		if n.Kind == commands.NotifyApprovers {
			alert = &n
		}
	}
	// In the approvers' words: whose message was lost, why, and what a person can do.
	want := ":warning: cakegate could not send a direct message to the person who asked for " + id.String() + " after 60 tries ("
	todo := "`/cakegate status " + id.String() + "` shows where it stands; tell them yourself, since they do not know."
	if alert == nil || !strings.HasPrefix(alert.Text, want) || !strings.Contains(alert.Text, "500") || !strings.HasSuffix(alert.Text, todo) {
		t.Fatalf("alert %+v, want one naming what was lost, why, and what to do", alert)
	}
	if strings.Contains(alert.Text, "notification") || strings.Contains(alert.Text, "requester ") {
		t.Errorf("the alert uses cakegate's own words: %s", alert.Text)
	}

	// An alert that is given up on is audited, not alerted about again.
	store.Enqueue(commands.Notification{ID: 8, Kind: commands.NotifyApprovers, Text: "an alert", CreatedAt: clock.Now(), Attempts: outboxMaxAttempts - 1})
	fake.SetChannelNotFound(outboxChannel)
	deliverOutbox(t, b)
	if got := store.AuditActions(0); len(got) != 1 || got[0] != "dead_letter" {
		t.Fatalf("audit without a request: %v, want one dead_letter", got)
	}
	for _, n := range store.Notifications(0) {
		if n.Kind == commands.NotifyApprovers && strings.Contains(n.Text, "could not send") {
			t.Fatalf("an alert about a lost alert was queued: %+v", n)
		}
	}
}
