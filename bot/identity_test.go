package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
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

// TestForeignTeamRefusedHTTP: once the bot knows its team and app (auth.test, bots.info),
// signed requests that name another team, app or enterprise get 403 and change nothing;
// a foreign event is acknowledged and dropped.
func TestForeignTeamRefusedHTTP(t *testing.T) {
	f := newHomeFixture(t)
	ctx := homeContext(t)
	id, err := f.bot.LearnIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id != (bot.Identity{TeamID: slacktest.DefaultTeamID, AppID: slacktest.DefaultAppID}) {
		t.Fatalf("learnt %+v", id)
	}
	slash := func(team, app, enterprise string) int {
		t.Helper()
		status, _ := f.do(t, "/slack/commands", slacktest.SlashCommandForm(slack.SlashCommand{
			Command: "/cakegate", Text: `request role=viewer devices=SN-1002 reason="x"`, UserID: "U0ALICE", ChannelID: "C0GENERAL",
			TeamID: team, APIAppID: app, EnterpriseID: enterprise, ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0ALICE"),
		}))
		return status
	}
	for _, tt := range []struct{ name, team, app, enterprise string }{
		{"OtherTeam", "T0OTHER", slacktest.DefaultAppID, ""},
		{"NoTeam", "", slacktest.DefaultAppID, ""},
		{"OtherApp", slacktest.DefaultTeamID, "A0OTHER", ""},
		{"OtherEnterprise", slacktest.DefaultTeamID, slacktest.DefaultAppID, "E0OTHER"},
	} {
		if status := slash(tt.team, tt.app, tt.enterprise); status != http.StatusForbidden {
			t.Errorf("%s: slash command answered %d, want 403", tt.name, status)
		}
	}
	if status := slash(slacktest.DefaultTeamID, slacktest.DefaultAppID, ""); status != http.StatusOK {
		t.Fatalf("cakegate's own team: answered %d", status)
	}

	r := f.request(t, "U0CAROL")
	if _, err := f.bot.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	var msg slacktest.Message
	for _, m := range f.slack.Messages("C0APPROVALS") {
		if strings.Contains(m.Text, r.ID.String()) {
			msg = m
		}
	}
	cb, err := f.slack.ButtonClick("U0ANN", msg.Channel, msg.TS, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	cb.Team.ID = "T0OTHER"
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := f.do(t, "/slack/interactions", body); status != http.StatusForbidden {
		t.Errorf("a click for another team answered %d, want 403", status)
	}

	event, err := f.slack.EventCallback(homeOpenedEvent("U0ANN"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(event, &m)
	m["team_id"] = "T0OTHER"
	event, _ = json.Marshal(m)
	if status, _ := f.do(t, "/slack/events", event); status != http.StatusOK {
		t.Errorf("a foreign event answered %d, want 200 (acknowledged and dropped)", status)
	}
	f.settle(t)

	if got, _ := f.svc.Store.Get(ctx, r.ID); got.State != commands.StatePending {
		t.Errorf("the foreign click acted: %s is %s", r.ID, got.State)
	}
	for _, c := range f.slack.CallsTo("views.publish") {
		if c.Params["user_id"] == "U0ANN" {
			t.Error("the foreign app_home_opened event published U0ANN's Home tab")
		}
	}
	mine, _ := f.svc.List(ctx, "U0ALICE")
	if len(mine) != 1 {
		t.Errorf("%d requests from Alice, want only the one sent for cakegate's team", len(mine))
	}
}

// TestForeignTeamRefusedSocketMode: over Socket Mode, a slash command for another team is
// acknowledged (so Slack does not resend it), refused with a log line, and creates nothing.
func TestForeignTeamRefusedSocketMode(t *testing.T) {
	store := commandstest.NewStore()
	viewer := &commands.Role{Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1}
	svc := &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC,
			Approvers: []string{"U0BOB"}, Roles: map[string]*commands.Role{"viewer": viewer}, RoleOrder: []string{"viewer"},
		},
		Store: store, Devices: commandstest.Devices{{ID: "d1", Serial: "SN-1"}}, Clock: commands.SystemClock{},
	}
	logs := &lockedBuffer{}
	f := newSocketFixture(t, svc, bot.Config{Requests: store, Outbox: store, Log: slog.New(slog.NewTextHandler(logs, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.bot.LearnIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	for _, team := range []string{"T0OTHER", slacktest.DefaultTeamID} {
		env, err := f.slack.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cakegate", Text: `request role=viewer devices=SN-1 reason="x"`, UserID: "U0ALICE", ChannelID: "C0GENERAL", TeamID: team})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.slack.WaitAck(ctx, env); err != nil {
			t.Fatalf("team %s: %v", team, err)
		}
	}
	if err := f.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mine, _ := svc.List(ctx, "U0ALICE")
	if len(mine) != 1 {
		t.Errorf("%d requests, want only the one for cakegate's team", len(mine))
	}
	if !strings.Contains(logs.String(), "refused a request for another Slack workspace or app") || !strings.Contains(logs.String(), "T0OTHER") {
		t.Errorf("no log line for the refusal:\n%s", logs)
	}
}

// TestLearnIdentityChecksPins: a pinned team that is not the token's is an error at start.
func TestLearnIdentityChecksPins(t *testing.T) {
	fake := slacktest.New()
	fake.Start()
	t.Cleanup(fake.Close)
	b := bot.New(bot.Config{
		Service:  &commands.Service{Policy: &commands.Policy{}},
		Slack:    slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		Identity: bot.Identity{TeamID: "T0ELSEWHERE"},
	})
	if _, err := b.LearnIdentity(context.Background()); err == nil || !strings.Contains(err.Error(), "T0ELSEWHERE") {
		t.Fatalf("got %v, want an error naming the pinned team", err)
	}
}
