package bot_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// withApproverGroup makes the user group S0OPS (ann, bob and dan, in that order) the only
// approvers, asked by direct message only; the service records what belongs to no request.
func (f *homeFixture) withApproverGroup() {
	f.slack.AddUser(slacktest.User{ID: "U0DAN", Name: "dan"})
	f.slack.AddUserGroup("S0OPS", "U0ANN", "U0BOB", "U0DAN")
	f.svc.Policy.Approvers = []string{"S0OPS"}
	f.svc.Policy.NotifyApprovers = commands.NotifyDM
	f.svc.Journal = f.store()
}

func (f *homeFixture) store() *commandstest.Store { return f.svc.Store.(*commandstest.Store) }

// restart replaces the Bot by a new one on the same store, as a crash and restart would:
// whatever the old one only remembered in memory is gone. opts are added to its Slack
// client.
func (f *homeFixture) restart(t *testing.T, opts ...slack.Option) {
	f.bot = f.replica(opts...)
	f.svc.Groups = f.bot
	f.srv = httptest.NewServer(f.bot.Handler(func() error { return nil }))
	t.Cleanup(f.srv.Close)
}

// replica is another Bot on the same store and Slack, as a second replica would be; opts
// are added to its Slack client.
func (f *homeFixture) replica(opts ...slack.Option) *bot.Bot {
	return bot.New(bot.Config{
		Service:       f.svc,
		Slack:         slack.New(slacktest.DefaultBotToken, append([]slack.Option{slack.OptionAPIURL(f.slack.URL())}, opts...)...),
		SigningSecret: homeSecret,
		Requests:      f.store(),
		Outbox:        f.store(),
	})
}

// deliverRounds delivers the outbox n times, an hour apart: long enough for any retry.
func (f *homeFixture) deliverRounds(t *testing.T, clock *commandstest.Clock, n int) {
	t.Helper()
	for range n {
		f.deliverOutbox(t)
		clock.Advance(time.Hour)
	}
}

// checkOneCopyEach fails unless each of want got exactly one direct message, and each of
// none got none.
func (f *homeFixture) checkOneCopyEach(t *testing.T, want, none []string) {
	t.Helper()
	for _, u := range want {
		if dms := f.slack.DMs(u); len(dms) != 1 || !strings.Contains(f.slack.RenderMessage(dms[0]), "[Approve] [Deny]") {
			t.Errorf("%s got %d copies of the approval message, want exactly one", u, len(dms))
		}
	}
	for _, u := range none {
		if dms := f.slack.DMs(u); len(dms) != 0 {
			t.Errorf("%s got %d direct messages, want none", u, len(dms))
		}
	}
}

// TestApproverGroupMemberRefusedForGood: with approvers asked by direct message, a member of
// the group whom Slack will not let cakegate message is skipped and reported once, in the
// approvals channel; the members before and after them get one copy each, however often
// the outbox runs (before, the first got a copy per retry and the third none).
func TestApproverGroupMemberRefusedForGood(t *testing.T) {
	f := newHomeFixture(t)
	clock := f.withClock()
	f.withApproverGroup()
	f.slack.BlockDMs("U0BOB", "cannot_dm_bot")
	r := f.request(t, "U0CAROL")

	f.deliverRounds(t, clock, 4)
	f.checkOneCopyEach(t, []string{"U0ANN", "U0DAN"}, []string{"U0BOB"})
	var notes []string
	for _, m := range f.slack.Messages("C0APPROVALS") {
		if strings.Contains(m.Text, "<@U0BOB>") {
			notes = append(notes, m.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "could not send R1 to <@U0BOB> by direct message") || strings.Contains(notes[0], "cannot_dm_bot") {
		t.Fatalf("the approvals channel says %q about bob, want one plain note", notes)
	}
	for _, n := range f.store().Notifications(r.ID) {
		if !f.store().Completed(n.ID) {
			t.Errorf("notification %d (%s) is still queued after %d attempts: %s", n.ID, n.Kind, n.Attempts, n.LastError)
		}
	}
}

// TestApproverGroupMemberFailsForAWhile: a member whose direct message meets a passing
// failure does not hold back the members after them, and the retry reaches only them, also
// from a Bot that restarted meanwhile (what was sent is remembered with the request).
func TestApproverGroupMemberFailsForAWhile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(s *slacktest.Server)
	}{
		{"ServerError", func(s *slacktest.Server) { s.Fail5xxNextIn("chat.postMessage", slacktest.DMChannel("U0BOB"), 1) }},
		{"RateLimited", func(s *slacktest.Server) {
			s.RateLimitNextIn("chat.postMessage", slacktest.DMChannel("U0BOB"), 1, 30*time.Second)
		}},
		{"OpenServerError", func(s *slacktest.Server) { s.Fail5xxNextIn("conversations.open", "U0BOB", 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHomeFixture(t)
			clock := f.withClock()
			f.withApproverGroup()
			tc.fault(f.slack)
			f.request(t, "U0CAROL")

			f.deliverOutbox(t)
			f.checkOneCopyEach(t, []string{"U0ANN", "U0DAN"}, []string{"U0BOB"})
			f.restart(t)
			clock.Advance(time.Hour)
			f.deliverRounds(t, clock, 3)
			f.checkOneCopyEach(t, []string{"U0ANN", "U0BOB", "U0DAN"}, nil)
			sent := 0
			for _, c := range f.slack.CallsTo("chat.postMessage") {
				if c.OK() {
					sent++
				}
			}
			if sent != 3 {
				t.Errorf("%d messages posted, want 3: one per approver", sent)
			}
		})
	}
}
