package sandbox

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

const leakChannel = "C0GENERAL"

// leakedSandbox starts a sandbox where alice holds a revealed token, and returns the token.
func leakedSandbox(t *testing.T, socket bool) (*sandbox, context.Context, string) {
	t.Helper()
	s := startSandbox(t, sandboxOptions{socketMode: socket})
	s.slack.AddChannel(leakChannel, "general")
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	return s, ctx, s.datacake.APIUsers(sandboxWorkspace)[0].Token
}

// waitLeakRevoked waits for the grant R1 to be revoked as leaked, its API user deleted, a
// reply in the message's thread, and the requester and the approvals channel told where.
func waitLeakRevoked(t *testing.T, ctx context.Context, s *sandbox, m slacktest.Message, token string) {
	t.Helper()
	var reply slacktest.Message
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, r := range srv.Messages(m.Channel) {
			if r.ThreadTS == m.TS && strings.Contains(r.Text, "Please delete this message") {
				reply = r
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no reply in the message's thread: %v", err)
	}
	mustContain(t, "thread reply", reply.Text, "R1", "revoked")
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users after the leak, want 0", n)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateRevoked || r.DecisionNote != commands.LeakedReason {
		t.Fatalf("R1 is %s (%q), want revoked, leaked", r.State, r.DecisionNote)
	}
	permalink := "/archives/" + m.Channel + "/p" + strings.ReplaceAll(m.TS, ".", "")
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, d := range srv.DMs(sandboxAlice) {
			if strings.Contains(d.Text, "was posted in") && strings.Contains(d.Text, permalink) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("alice was not told where: %v", err)
	}
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, c := range srv.Messages(sandboxChannel) {
			if strings.Contains(c.Text, "The token of R1") && strings.Contains(c.Text, permalink) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the approvals channel was not told where: %v", err)
	}
	for _, c := range s.slack.Calls() {
		if strings.Contains(string(c.Blocks)+c.Params["text"], token) && c.Method != "views.update" {
			t.Fatalf("cakegate repeated the leaked token in %s", c.Method)
		}
	}
}

// TestLeakStory: a live token pasted in a channel, in an edit of a harmless message, or in
// a DM with cakegate is revoked at once, with a reply in the thread and the requester and
// approvers told where.
func TestLeakStory(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		t.Run("Channel", func(t *testing.T) {
			s, ctx, token := leakedSandbox(t, socket)
			m, ev, err := s.slack.UserPosts(sandboxCarol, leakChannel, "why does this fail? curl -H 'Authorization: Token "+token+"'")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.event(ctx, ev); err != nil {
				t.Fatal(err)
			}
			waitLeakRevoked(t, ctx, s, m, token)
		})
		t.Run("EditedMessage", func(t *testing.T) {
			s, ctx, token := leakedSandbox(t, socket)
			m, ev, err := s.slack.UserPosts(sandboxAlice, leakChannel, "my token is in the vault")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.event(ctx, ev); err != nil {
				t.Fatal(err)
			}
			edit, err := s.slack.UserEdits(leakChannel, m.TS, "my token is "+token)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.event(ctx, edit); err != nil {
				t.Fatal(err)
			}
			waitLeakRevoked(t, ctx, s, m, token)
		})
		t.Run("DirectMessage", func(t *testing.T) {
			s, ctx, token := leakedSandbox(t, socket)
			m, ev, err := s.slack.UserPosts(sandboxAlice, slacktest.DMChannel(sandboxAlice), token)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.event(ctx, ev); err != nil {
				t.Fatal(err)
			}
			waitLeakRevoked(t, ctx, s, m, token)
		})
	})
}

// TestLeakNonMatching: a 40-hex string that is no live token (a commit id) costs a hash and
// nothing else: no Slack or Datacake call, no record, no log line holding it.
func TestLeakNonMatching(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{log: logs})
	s.slack.AddChannel(leakChannel, "general")
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	settleOutbox(ctx, t, s)
	commit := "3f786850e387550fdab836ed7e6dc881de23001b"
	slackBefore, dcBefore := len(s.slack.Calls()), s.datacake.CallCount("")
	_, ev, err := s.slack.UserPosts(sandboxCarol, leakChannel, "fixed in "+commit+", see https://example.com/ci/"+strings.Repeat("0a", 20))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.event(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Bot().Shutdown(ctx); err != nil { // all work the event started is done
		t.Fatal(err)
	}
	for _, c := range s.slack.Calls()[slackBefore:] {
		// The reveal's own Home tab refreshes may still be under way; nothing else may be.
		if c.Method != "views.publish" {
			t.Fatalf("a message without a token caused a Slack call: %s", c.Method)
		}
	}
	if n := s.datacake.CallCount("") - dcBefore; n != 0 {
		t.Fatalf("a message without a token caused %d Datacake calls", n)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateActive {
		t.Fatalf("R1 is %s", r.State)
	}
	db, err := os.ReadFile(s.app.Config().DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(commit)) || strings.Contains(logs.String(), commit) {
		t.Fatal("the message's text was stored or logged")
	}
}
