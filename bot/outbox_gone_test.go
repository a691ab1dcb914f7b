package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestDeliverOutboxArchivedChannel: while the approvals channel is archived, each run asks
// Slack once, not once per queued notification; every notification still counts its
// attempts and keeps its error, they are tried again together, and all are delivered once
// the channel is back. Another conversation is not held by it.
func TestDeliverOutboxArchivedChannel(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	for id := uint64(8); id <= 10; id++ {
		outbox.Enqueue(commands.Notification{ID: id, Kind: commands.NotifyApprovers, Text: "alert", CreatedAt: clock.Now()})
	}
	outbox.Enqueue(commands.Notification{ID: 11, Kind: commands.NotifyUser, To: "U0BOB", Text: "to Bob", CreatedAt: clock.Now()})
	fake.AddUser(slacktest.User{ID: "U0BOB", Name: "bob"})
	fake.SetChannelNotFound(outboxChannel)
	postsToChannel := func() int {
		n := 0
		for _, c := range fake.CallsTo("chat.postMessage") {
			if c.Params["channel"] == outboxChannel {
				n++
			}
		}
		return n
	}

	for round := 1; round <= 3; round++ {
		before := postsToChannel()
		wantDelivered := 0
		if round == 1 {
			wantDelivered = 1 // Bob's DM: another conversation
		}
		if n := deliverOutbox(t, b); n != wantDelivered {
			t.Fatalf("round %d delivered %d, want %d", round, n, wantDelivered)
		}
		if calls := postsToChannel() - before; calls != 1 {
			t.Fatalf("round %d asked Slack %d times for the archived channel, want once", round, calls)
		}
		var at time.Time
		for id := uint64(7); id <= 10; id++ {
			n, ok := outbox.Queued(id)
			if !ok || n.Attempts != round || n.LastError == "" {
				t.Fatalf("round %d: notification %d is %+v (queued %v), want %d attempts and the error", round, id, n, ok, round)
			}
			if at.IsZero() {
				at = n.NextAttemptAt
			} else if !n.NextAttemptAt.Equal(at) {
				t.Fatalf("round %d: notification %d is retried at %v, the first at %v: want together", round, id, n.NextAttemptAt, at)
			}
		}
		clock.Set(at)
	}

	fake.SetChannelError(outboxChannel, "")
	if n := deliverOutbox(t, b); n != 4 {
		t.Fatalf("delivered %d once the channel was back, want all 4", n)
	}
}

// A conversation that is merely failing (a 500) is not taken for gone: each notification is
// tried on its own.
func TestDeliverOutboxServerErrorIsNotGone(t *testing.T) {
	b, outbox, clock, fake := newOutboxBot(t, 0)
	outbox.Enqueue(commands.Notification{ID: 8, Kind: commands.NotifyApprovers, Text: "alert", CreatedAt: clock.Now()})
	fake.FailNext("chat.postMessage", 1, "internal_error")
	if n := deliverOutbox(t, b); n != 1 {
		t.Fatalf("delivered %d, want the second after the first met a 500", n)
	}
}

// A person who cannot be messaged is refused once per run, but what has another way still
// takes it: the requester's notice goes to the approvals channel instead, and a reminder
// about a grant that has ended since is simply done. Only what needs the person's direct
// messages and nothing else waits.
func TestDeliverOutboxRefusedDMKeepsOtherPaths(t *testing.T) {
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	fake.AddUser(slacktest.User{ID: "U0BOB", Name: "bob"})
	fake.BlockDMs("U0BOB", "cannot_dm_bot")
	clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	store := commandstest.NewStore()
	r := &commands.Request{Requester: "U0BOB", State: commands.StateDenied}
	if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	store.Enqueue(commands.Notification{ID: 7, Kind: commands.NotifyUser, To: "U0BOB", Text: "first", CreatedAt: clock.Now()})
	store.Enqueue(commands.Notification{ID: 8, Kind: commands.NotifyUser, To: "U0BOB", Text: "second", CreatedAt: clock.Now()})
	store.Enqueue(commands.Notification{ID: 9, Kind: commands.NotifyRequester, Request: r.ID, Text: r.ID.String() + " was denied.", CreatedAt: clock.Now()})
	store.Enqueue(commands.Notification{ID: 10, Kind: commands.NotifyReminder, Request: r.ID, CreatedAt: clock.Now()})
	b := refusalBot(clock, store, slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())))

	if n := deliverOutbox(t, b); n != 2 {
		t.Fatalf("delivered %d, want the requester's notice (by the channel) and the reminder (nothing to say)", n)
	}
	if opens := len(fake.CallsTo("conversations.open")); opens != 1 {
		t.Fatalf("%d conversations.open calls, want 1: the refusal is remembered for the run", opens)
	}
	if msgs := fake.Messages(outboxChannel); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "was denied") {
		t.Fatalf("approvals channel holds %+v, want the requester's notice", msgs)
	}
	first, _ := store.Queued(7)
	second, _ := store.Queued(8)
	if first.Attempts != 1 || second.Attempts != 1 || !second.NextAttemptAt.Equal(first.NextAttemptAt) {
		t.Fatalf("the DMs wait as %+v and %+v, want one attempt each, retried together", first, second)
	}
}

// A Reveal DM or an approver's copy that Slack refuses for good (the person blocked the app
// or left) does not hold back the approval message in the channel: the update is delivered,
// not retried for days and dead-lettered (found by the simulation once approvers were asked
// by direct message: 7 in 10 dead letters were approval updates held by a refused Reveal DM).
func TestApprovalUpdateNotHeldByARefusedDM(t *testing.T) {
	for _, blocked := range []string{"U0ALICE", "U0ERIN"} {
		t.Run(blocked, func(t *testing.T) {
			fake := slacktest.New()
			fake.Start()
			t.Cleanup(fake.Close)
			fake.AddUser(slacktest.User{ID: "U0ALICE", Name: "alice"})
			fake.AddUser(slacktest.User{ID: "U0ERIN", Name: "erin"})
			api := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL()))
			post := func(channel string) commands.MessageRef {
				ch, ts, err := api.PostMessage(channel, slack.MsgOptionText("before", false))
				if err != nil {
					t.Fatal(err)
				}
				return commands.MessageRef{Channel: ch, TS: ts}
			}
			clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
			store := commandstest.NewStore()
			r := &commands.Request{
				Requester: "U0ALICE", Role: "viewer", State: commands.StateRevoked,
				Message:        post(outboxChannel),
				RevealMessage:  post(slacktest.DMChannel("U0ALICE")),
				ApproverCopies: []commands.ApproverCopy{{MessageRef: post(slacktest.DMChannel("U0ERIN"))}},
			}
			if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
				t.Fatal(err)
			}
			store.Enqueue(commands.Notification{ID: 7, Kind: commands.NotifyApprovalUpdate, Request: r.ID, CreatedAt: clock.Now()})
			fake.BlockDMs(blocked, "cannot_dm_bot")
			b := refusalBot(clock, store, api)
			if n := deliverOutbox(t, b); n != 1 {
				waiting, _ := store.Queued(7)
				t.Fatalf("delivered %d, want the update (it waits: %+v)", n, waiting)
			}
			msgs := fake.Messages(outboxChannel)
			if len(msgs) != 1 || msgs[0].Text == "before" {
				t.Fatalf("the approval message is %+v, want it updated", msgs)
			}
		})
	}
}

// A Reveal DM Slack refuses for good (the requester blocked the app) is not retried until
// the approval lapses: the requester is told in the approvals channel, with no button and
// nothing secret, to reveal from cakegate's Home tab, and the notification is done.
func TestRefusedRevealDMPointsToTheHomeTab(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		start time.Time
		want  string
	}{
		{"Now", time.Time{}, "Open my *Home* tab"},
		{"Scheduled", now.Add(3 * time.Hour), "From <!date^"}, // Reveal works from the start
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := slacktest.New()
			fake.Start()
			t.Cleanup(fake.Close)
			fake.AddUser(slacktest.User{ID: "U0BOB", Name: "bob"})
			fake.BlockDMs("U0BOB", "cannot_dm_bot")
			clock := commandstest.NewClock(now)
			store := commandstest.NewStore()
			r := &commands.Request{Requester: "U0BOB", Role: "viewer", State: commands.StateApproved, Duration: time.Hour, StartAt: tc.start, RevealBy: now.Add(24 * time.Hour)}
			if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
				t.Fatal(err)
			}
			store.Enqueue(commands.Notification{ID: 7, Kind: commands.NotifyReveal, Request: r.ID, CreatedAt: now})
			b := refusalBot(clock, store, slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())))
			if n := deliverOutbox(t, b); n != 1 {
				t.Fatalf("delivered %d, want the Reveal notice, by the channel", n)
			}
			if _, queued := store.Queued(7); queued {
				t.Fatal("the Reveal notice is still queued: it would be retried until the approval lapses")
			}
			msgs := fake.Messages(outboxChannel)
			if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "<@U0BOB>") || !strings.Contains(msgs[0].Text, tc.want) || len(msgs[0].Blocks) > 0 && string(msgs[0].Blocks) != "null" {
				t.Fatalf("approvals channel holds %+v, want one plain notice to bob with %q", msgs, tc.want)
			}
		})
	}
}

// refusalBot is a Bot whose outbox and requests are store, posting to outboxChannel
// through api.
func refusalBot(clock *commandstest.Clock, store *commandstest.Store, api *slack.Client) *Bot {
	return New(Config{
		Service:  &commands.Service{Policy: &commands.Policy{ApprovalsChannel: outboxChannel}, Clock: clock, Journal: store},
		Slack:    api,
		Outbox:   store,
		Requests: store,
	})
}
