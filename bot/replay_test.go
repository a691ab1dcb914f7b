package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestStaleApproveDoesNotApproveExtension: the approver approved 8 hours; the requester then
// asks for a 6-day extension. The Approve button of the first message, clicked again (an
// old message, or the click replayed with a fresh signature), must not approve the
// extension: it is refused as changed, with what is pending now.
func TestStaleApproveDoesNotApproveExtension(t *testing.T) {
	f := newHomeFixture(t)
	ctx := homeContext(t)
	r := f.request(t, "U0ALICE")
	if _, err := f.bot.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := f.slack.Messages("C0APPROVALS")
	if len(msgs) != 1 {
		t.Fatalf("approvals channel holds %d messages, want 1", len(msgs))
	}
	old, err := f.slack.ButtonClick("U0ANN", msgs[0].Channel, msgs[0].TS, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(ctx, r.ID, "U0ANN"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reveal(ctx, r.ID, "U0ALICE", func(context.Context, *commands.Request, commands.Token) error { return nil }); err != nil {
		t.Fatal(err)
	}
	extended, err := f.svc.Extend(ctx, r.ID, "U0ALICE", 6*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, old)
	f.settle(t)

	now, err := f.svc.Store.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if now.Extension == nil || !now.Grant.ExpiresAt.Equal(extended.Grant.ExpiresAt) {
		t.Fatalf("the old Approve acted on the extension: extension %+v, expires %v (was %v)", now.Extension, now.Grant.ExpiresAt, extended.Grant.ExpiresAt)
	}
	posts := f.slack.ResponseURLPosts(old.ResponseURL)
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "changed since you saw it") || !strings.Contains(posts[0].Text, "extend it by 6d") {
		t.Fatalf("the approver was told %+v, want that it changed and the extension now pending", posts)
	}
}

// TestRepeatedSignedRequestDropped: the same signed slash command delivered twice over HTTP
// (a replay within the signature's 5 minutes) is acknowledged both times and creates one
// request.
func TestRepeatedSignedRequestDropped(t *testing.T) {
	f := newHomeFixture(t)
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: `request role=viewer devices=SN-1002 reason="check the freezer"`,
		UserID: "U0ALICE", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0ALICE"),
	})
	req, err := slacktest.SignedRequest(f.srv.URL+"/slack/commands", body, homeSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sendTwice(t, req, body, nil)
	f.settle(t)
	mine, err := f.svc.List(homeContext(t), "U0ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 {
		t.Fatalf("%d requests from one command sent twice, want 1", len(mine))
	}
}

// TestRepeatedEnvelopeDropped: over Socket Mode, the same envelope sent again, and a new
// envelope carrying the same slash command (same trigger id), are acknowledged and
// create no second request.
func TestRepeatedEnvelopeDropped(t *testing.T) {
	store := commandstest.NewStore()
	viewer := &commands.Role{Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1}
	svc := &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC,
			Approvers: []string{"U0BOB"}, Roles: map[string]*commands.Role{"viewer": viewer}, RoleOrder: []string{"viewer"},
		},
		Store: store, Devices: commandstest.Devices{{ID: "d1", Serial: "SN-1"}}, Clock: commands.SystemClock{},
	}
	f := newSocketFixture(t, svc, bot.Config{Requests: store, Outbox: store})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := slack.SlashCommand{
		Command: "/cakegate", Text: `request role=viewer devices=SN-1 reason="test"`, UserID: "U0ALICE", ChannelID: "C0GENERAL",
		TeamID: slacktest.DefaultTeamID, ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0ALICE"),
	}
	env, err := f.slack.SendSlashCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.slack.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := f.slack.ReplayEnvelope(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, err := f.slack.WaitAck(ctx, env); err != nil {
		t.Fatalf("the repeated envelope was not acknowledged: %v", err)
	}
	env2, err := f.slack.SendSlashCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.slack.WaitAck(ctx, env2); err != nil {
		t.Fatal(err)
	}
	if err := f.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mine, err := svc.List(ctx, "U0ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 {
		t.Fatalf("%d requests from one command delivered three times, want 1", len(mine))
	}
}

// TestForgedRetryHeaderIsStillAReplay: X-Slack-Retry-Num is not signed, so a captured
// button click sent again with it is still a replay, and dropped. Only an event (which
// carries its own id) may claim to be Slack's retry.
func TestForgedRetryHeaderIsStillAReplay(t *testing.T) {
	f := newHomeFixture(t)
	r := f.request(t, "U0CAROL")
	url := f.slack.NewResponseURL()
	body, err := slacktest.InteractionForm(slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U0CAROL"}, Team: slack.Team{ID: slacktest.DefaultTeamID},
		ResponseURL: url, TriggerID: f.slack.NewTriggerID("U0CAROL"),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionRemindApprovers, Value: r.ID.String()}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := slacktest.SignedRequest(f.srv.URL+"/slack/interactions", body, homeSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sendTwice(t, req, body, http.Header{"X-Slack-Retry-Num": {"1"}})
	f.settle(t)
	if posts := f.slack.ResponseURLPosts(url); len(posts) != 1 {
		t.Fatalf("the click was handled %d times, want once: %+v", len(posts), posts)
	}
}

// postSigned posts body to target, signed with homeSecret as Slack signs it, and fails t
// unless it is answered 200. It returns the request, to send again.
func postSigned(t *testing.T, target string, body []byte) *http.Request {
	t.Helper()
	req, err := slacktest.SignedRequest(target, body, homeSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered %d, want 200", target, resp.StatusCode)
	}
	return req
}

// sendTwice sends the signed request req (with body) twice, byte for byte, the second time
// with extra headers set, and requires 200 both times.
func sendTwice(t *testing.T, req *http.Request, body []byte, extra http.Header) {
	t.Helper()
	for i := range 2 {
		again, _ := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
		again.Header = req.Header.Clone()
		if i == 1 {
			for k, v := range extra {
				again.Header[k] = v
			}
		}
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("answered %d, want 200", resp.StatusCode)
		}
	}
}
