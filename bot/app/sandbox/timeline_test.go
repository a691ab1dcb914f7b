package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// Timelines with the sandbox's clock: whole lives of grants, with restarts, Datacake
// failures and lost answers, run without sleeping.

// reminders counts the reminder DMs alice has received.
func reminders(s *sandbox) int {
	n := 0
	for _, m := range s.slack.DMs(sandboxAlice) {
		if strings.Contains(s.slack.RenderMessage(m), "[Extend]") {
			n++
		}
	}
	return n
}

// approveR1 has alice ask for a viewer grant of d and ann approve it.
func approveR1(t *testing.T, ctx context.Context, s *sandbox, d string) {
	t.Helper()
	if _, err := s.grantViewer(ctx, 1, d); err != nil {
		t.Fatal(err)
	}
	if users := s.datacake.APIUsers(sandboxWorkspace); len(users) != 1 {
		t.Fatalf("got API users %+v, want one", users)
	}
}

func (s *sandbox) request(t *testing.T, ctx context.Context, id commands.RequestID) *commands.Request {
	t.Helper()
	r, err := s.app.Store().Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTimelineFiveDayGrant: a 5-day grant gets its 24h reminder, is extended by a day, gets
// the 24h and 1h reminders of its new expiry (once each, across a restart), and expires.
func TestTimelineFiveDayGrant(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	approveR1(t, ctx, s, "5d")
	tick := func() {
		t.Helper()
		if err := s.tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitReminders := func(n int) {
		t.Helper()
		if _, err := s.dm(ctx, sandboxAlice, func(string) bool { return reminders(s) >= n }); err != nil {
			t.Fatalf("waiting for reminder %d: %v", n, err)
		}
	}

	s.clock.Advance(3*24*time.Hour + 23*time.Hour) // 25h left
	tick()
	if n := reminders(s); n != 0 {
		t.Fatalf("%d reminders with 25h left", n)
	}
	s.clock.Advance(time.Hour) // 24h left
	tick()
	waitReminders(1)
	mustContain(t, "24h reminder", s.slack.RenderMessage(s.slack.DMs(sandboxAlice)[len(s.slack.DMs(sandboxAlice))-1]), "in about 1d", "[Extend]", "[Revoke]")

	// Extended by a day: the expiry moves, the token (the API user) stays.
	before := s.datacake.APIUsers(sandboxWorkspace)
	if answer, err := s.slash(ctx, sandboxAlice, "extend R1 1d"); err != nil || !strings.Contains(answer, "waiting for approval") {
		t.Fatalf("extend: %q %v", answer, err)
	}
	msg, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "[Approve extension]") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.click(ctx, sandboxBob, msg.Channel, msg.TS, "cakegate_approve"); err != nil {
		t.Fatal(err)
	}
	r := s.request(t, ctx, 1)
	if want := s.clock.Now().Add(48 * time.Hour); !r.Grant.ExpiresAt.Equal(want) {
		t.Fatalf("expiry after the extension: %v, want %v", r.Grant.ExpiresAt, want)
	}
	after := s.datacake.APIUsers(sandboxWorkspace)
	if len(after) != 1 || after[0].ID != before[0].ID || after[0].Token != before[0].Token {
		t.Fatal("the extension changed the API user or its token")
	}

	// A restart: the reminders sent so far are not sent again.
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	tick()
	s.clock.Advance(24 * time.Hour) // 24h before the new expiry
	tick()
	waitReminders(2)
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	tick()
	s.clock.Advance(23 * time.Hour)
	tick()
	waitReminders(3)
	tick()
	if n := reminders(s); n != 3 {
		t.Fatalf("got %d reminders, want 3 (24h, then 24h and 1h of the new expiry)", n)
	}

	s.clock.Advance(time.Hour)
	tick()
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "has expired") }); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateExpired {
		t.Fatalf("got %s, want expired", r.State)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users after the expiry", n)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Expired") }); err != nil {
		t.Fatal(err)
	}
}

// TestTimelineExpiryThroughDatacakeFailures: Datacake fails while a grant expires; the grant
// stays revoking (never expired before Datacake confirms), is retried with backoff, the
// approvers are alerted after repeated failures, and it expires once Datacake answers.
func TestTimelineExpiryThroughDatacakeFailures(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	approveR1(t, ctx, s, "1h")
	s.clock.Advance(time.Hour)
	s.datacake.FailNext(1000, 502)
	for attempt := 1; attempt <= commands.RevokeAlertAfter; attempt++ {
		// The jobs report Datacake's failure, as the scheduler would log it.
		if err := s.tick(ctx); err == nil {
			t.Fatal("the jobs reported no failure while Datacake fails")
		}
		r := s.request(t, ctx, 1)
		if r.State != commands.StateRevoking || r.Grant.RevokeAttempts != attempt {
			t.Fatalf("attempt %d: %s after %d attempts, want revoking", attempt, r.State, r.Grant.RevokeAttempts)
		}
		s.clock.Advance(commands.RevokeRetryMax)
	}
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.Messages(sandboxChannel) {
			if strings.Contains(m.Text, "has failed 5 times to delete API user cakegate-"+s.app.Service().Installation+"-r1-u0alice") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no alert in the approvals channel: %v", err)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 1 {
		t.Fatal("the API user is gone although every delete failed")
	}
	s.datacake.FailNext(0, 0)
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateExpired {
		t.Fatalf("got %s once Datacake answers, want expired", r.State)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatal("the API user survived the expiry")
	}
}

// TestTimelineCreateAnswerLost: Datacake creates the API user but the answer never arrives.
// The half-made API user is found by its name and deleted, and the request fails with a
// message instead of leaving a token nobody received.
func TestTimelineCreateAnswerLost(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="lost answer"`); err != nil {
		t.Fatal(err)
	}
	msg, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve"); err != nil {
		t.Fatal(err)
	}
	reveal, err := s.revealDM(ctx, sandboxAlice, "R1")
	if err != nil {
		t.Fatal(err)
	}
	s.datacake.DropAfterCommitNext()
	if _, err := s.sendClick(ctx, sandboxAlice, reveal.Channel, reveal.TS, "cakegate_reveal"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.slack.WaitForCall(ctx, "views.update", func(c slacktest.Call) bool {
		return strings.Contains(string(c.Blocks), "R1 is approved, but Datacake could not create the API user")
	}); err != nil {
		t.Fatalf("alice's modal does not say what happened: %v", err)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users left after a lost answer, want 0", n)
	}
	r := s.request(t, ctx, 1)
	if r.State != commands.StateFailed || r.FailureReason == "" {
		t.Fatalf("got %s %q, want failed with a reason", r.State, r.FailureReason)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "could not be completed") }); err != nil {
		t.Fatal(err)
	}
}

// TestTimelineRestartMidJob restarts cakegate with the database as a crash in the middle of
// each job leaves it, and checks the start-up sweeps finish the work.
func TestTimelineRestartMidJob(t *testing.T) {
	ctx := testContext(t)
	t.Run("Provisioning", func(t *testing.T) {
		s := startSandbox(t, sandboxOptions{})
		// The process died after Datacake created the API user and before the token left:
		// the request is in provisioning, owned by a run that is gone, and Datacake holds an
		// API user of its name that cakegate never recorded.
		if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="crash"`); err != nil {
			t.Fatal(err)
		}
		_, err := s.app.Store().Update(ctx, 1, func(r *commands.Request) (commands.Change, error) {
			r.State, r.ProvisionedBy, r.DecidedBy, r.DecidedAt = commands.StateProvisioning, "a-run-that-died", sandboxAnn, s.clock.Now()
			return commands.Change{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dc, err := datacake.New(datacake.Options{URL: s.datacake.URL(), Token: sandboxDCToken})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: sandboxWorkspace, Name: "cakegate-" + s.app.Service().Installation + "-r1-u0alice", WorkspacePermissions: []string{}}); err != nil {
			t.Fatal(err)
		}
		half := s.datacake.APIUsers(sandboxWorkspace)
		if err := s.restart(); err != nil {
			t.Fatal(err)
		}
		// The reconcile at start takes the request over, deletes the half-made API user
		// nobody saw and makes the Reveal button work again.
		select {
		case <-s.app.CaughtUp():
		case <-ctx.Done():
			t.Fatal("the jobs at start did not finish")
		}
		if _, err := s.app.Service().Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		s.app.Bot().Kick() // deliver what this reconcile queued; the one at start kicks for itself
		if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "was deleted before you could see it") }); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, ctx, 1); r.State != commands.StateApproved || len(s.datacake.APIUsers(sandboxWorkspace)) != 0 {
			t.Fatalf("got %s with %d API users, want approved with none", r.State, len(s.datacake.APIUsers(sandboxWorkspace)))
		}
		// The crash came before the Reveal DM was sent; the request's Reveal button on the
		// Home tab works.
		if err := s.openHome(ctx, sandboxAlice); err != nil {
			t.Fatal(err)
		}
		if _, err := s.home(ctx, sandboxAlice, "[Reveal token]"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.homeClick(ctx, sandboxAlice, "cakegate_reveal"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.tokenView(ctx, sandboxAlice, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, " · expires ") }); err != nil {
			t.Fatal(err)
		}
		users := s.datacake.APIUsers(sandboxWorkspace)
		if len(users) != 1 || users[0].ID == half[0].ID {
			t.Fatalf("API users %v: want one, not the half-made one", users)
		}
		if r := s.request(t, ctx, 1); r.State != commands.StateActive || r.Grant.APIUserID != users[0].ID {
			t.Fatalf("got %s, want active with the new API user", r.State)
		}
	})
	t.Run("Revoking", func(t *testing.T) {
		s := startSandbox(t, sandboxOptions{})
		approveR1(t, ctx, s, "8h")
		// Crash after the revoke was recorded, before Datacake was asked.
		s.datacake.FailNext(1000, 503)
		s.slash(ctx, sandboxAlice, "revoke R1")
		if r := s.request(t, ctx, 1); r.State != commands.StateRevoking {
			t.Fatalf("got %s, want revoking", r.State)
		}
		s.datacake.FailNext(0, 0)
		if err := s.restart(); err != nil {
			t.Fatal(err)
		}
		// Reconcile honours the failed delete's backoff, then finishes the revocation.
		s.clock.Advance(commands.RevokeRetryMax)
		if _, err := s.app.Service().Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, ctx, 1); r.State != commands.StateRevoked {
			t.Fatalf("got %s, want revoked", r.State)
		}
		if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
			t.Fatal("the API user survived")
		}
	})
	t.Run("OutboxAndPendingTimeout", func(t *testing.T) {
		s := startSandbox(t, sandboxOptions{})
		// Slack is down when the request is made: its approval message waits in the outbox.
		s.slack.SetChannelError(sandboxChannel, "channel_not_found")
		if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="outage"`); err != nil {
			t.Fatal(err)
		}
		if err := s.restart(); err != nil {
			t.Fatal(err)
		}
		s.slack.SetChannelError(sandboxChannel, "")
		s.clock.Advance(49 * time.Hour) // past pending_timeout while cakegate was away
		if err := s.tick(ctx); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, ctx, 1); r.State != commands.StateTimedOut {
			t.Fatalf("got %s, want timed_out", r.State)
		}
		msg, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Timed out") })
		if err != nil {
			t.Fatal(err)
		}
		if n := len(s.slack.Messages(sandboxChannel)); n < 1 || msg.TS == "" {
			t.Fatal("the approval message was never posted")
		}
		if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "timed out") }); err != nil {
			t.Fatal(err)
		}
	})
}
