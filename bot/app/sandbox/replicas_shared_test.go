package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// resendSigned sends a request already signed, byte for byte, to the cakegate at baseURL, as
// anyone who saw it could, and expects 200.
func resendSigned(ctx context.Context, baseURL string, signed *http.Request, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+signed.URL.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = signed.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", signed.URL.Path, resp.Status)
	}
	return nil
}

// remindClick is alice's signed click on "Remind approvers" of R1, and where its answer
// goes.
func remindClick(t *testing.T, s *sandbox) (*http.Request, []byte, string) {
	t.Helper()
	url := s.slack.ResponseURLFor(sandboxChannel, sandboxAlice, "")
	body, err := slacktest.InteractionForm(slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: sandboxAlice}, Team: slack.Team{ID: slacktest.DefaultTeamID},
		ResponseURL: url, TriggerID: s.slack.NewTriggerID(sandboxAlice),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionRemindApprovers, Value: "R1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := slacktest.SignedRequest(s.baseURL+"/slack/interactions", body, sandboxSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req, body, url
}

// handledOnce waits for every acknowledged piece of work to end and requires one answer
// at url: the click was handled once.
func handledOnce(t *testing.T, ctx context.Context, s *sandbox, url string) {
	t.Helper()
	if err := s.work.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if posts := s.slack.ResponseURLPosts(url); len(posts) != 1 {
		t.Fatalf("the click was handled %d times, want once: %+v", len(posts), posts)
	}
}

// TestReplayToAnotherReplica: a signed click taken by one replica and sent again, byte for
// byte, to another is acknowledged there and does nothing: the record of what was taken
// is the store's, not one process's.
func TestReplayToAnotherReplica(t *testing.T) {
	srv := etcdtest.Start(t)
	s := startSandbox(t, sandboxOptions{etcdEndpoint: srv.Endpoint, etcdPrefix: etcdtest.Prefix(t)})
	ctx := testContext(t)
	other := startReplica(t, s)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="replay test"`); err != nil {
		t.Fatal(err)
	}
	req, body, url := remindClick(t, s)
	if err := resendSigned(ctx, s.baseURL, req, body); err != nil {
		t.Fatal(err)
	}
	if err := resendSigned(ctx, other.baseURL, req, body); err != nil {
		t.Fatalf("the replay to another replica: %v", err)
	}
	handledOnce(t, ctx, s, url)
}

// TestReplayAfterRestart: a signed click sent again after cakegate restarted (on bbolt)
// does nothing.
func TestReplayAfterRestart(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="replay test"`); err != nil {
		t.Fatal(err)
	}
	req, body, url := remindClick(t, s)
	if err := resendSigned(ctx, s.baseURL, req, body); err != nil {
		t.Fatal(err)
	}
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	if err := resendSigned(ctx, s.baseURL, req, body); err != nil {
		t.Fatalf("the replay after a restart: %v", err)
	}
	handledOnce(t, ctx, s, url)
}

// TestLeakOnAnotherReplica: a token revealed through one replica and pasted, at once, in
// a message that reaches another is revoked: the fingerprint is in the store before the
// token is shown, and the other replica follows the store or asks it.
func TestLeakOnAnotherReplica(t *testing.T) {
	srv := etcdtest.Start(t)
	s := startSandbox(t, sandboxOptions{etcdEndpoint: srv.Endpoint, etcdPrefix: etcdtest.Prefix(t)})
	s.slack.AddChannel(leakChannel, "general")
	ctx := testContext(t)
	other := startReplica(t, s)
	approveR1(t, ctx, s, "8h") // revealed through s: the token window has shown it
	shown := time.Now()
	token := s.datacake.APIUsers(sandboxWorkspace)[0].Token
	m, ev, err := s.slack.UserPosts(sandboxCarol, leakChannel, "does this work? "+token)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := s.slack.EventCallback(ev)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := slacktest.SignedRequest(other.baseURL+"/slack/events", cb, sandboxSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := resendSigned(ctx, other.baseURL, signed, cb); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(shown); took > 100*time.Millisecond {
		// Not a failure of cakegate: the machine is too slow for this test to say much.
		t.Logf("the message reached the other replica %v after the token was shown, more than 100 ms", took)
	}
	waitLeakRevoked(t, ctx, s, m, token)
	if r := s.request(t, ctx, 1); r.State != commands.StateRevoked {
		t.Fatalf("R1 is %s, want revoked", r.State)
	}
}
