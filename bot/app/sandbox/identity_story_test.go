package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
)

// TestForeignTeamRefused: serve learns its team at start, so a slash command for another
// workspace, signed with cakegate's secret or sent on its Socket Mode connection, is
// refused with a log line and creates nothing, while cakegate's own team is served.
func TestForeignTeamRefused(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		logs := &apptest.SyncBuffer{}
		s := startSandbox(t, sandboxOptions{socketMode: socket, log: logs})
		ctx := testContext(t)
		sc := slack.SlashCommand{
			Command: "/cakegate", Text: `request role=viewer devices=SN-1001 reason="read the boiler"`, UserID: sandboxAlice,
			ChannelID: sandboxChannel, TeamID: "T0ELSEWHERE", TriggerID: s.slack.NewTriggerID(sandboxAlice), ResponseURL: s.slack.NewResponseURL(),
		}
		if socket {
			id, err := s.slack.SendSlashCommand(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.slack.WaitAck(ctx, id); err != nil {
				t.Fatalf("the foreign command was not acknowledged: %v", err)
			}
		} else if status, _ := sendSigned(ctx, t, s, "/slack/commands", slacktest.SlashCommandForm(sc), nil); status != http.StatusForbidden {
			t.Fatalf("the foreign command answered %d, want 403", status)
		}
		if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="read the boiler"`); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.app.Store().ByUser(ctx, sandboxAlice, 0); len(rs) != 1 {
			t.Fatalf("%d requests, want only the one for cakegate's team", len(rs))
		}
		if !strings.Contains(logs.String(), "refused a request for another Slack workspace or app") {
			t.Fatalf("no log line for the refusal:\n%s", logs)
		}
	})
}
