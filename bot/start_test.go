package bot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestScheduledStartInSlack: carol, whose Slack time zone is New York, types start="tomorrow
// 09:00" the day before the clocks go back there; cakegate reads her zone from users.info,
// the approval message shows the start in each reader's time, and her Reveal DM has no
// button until the start.
func TestScheduledStartInSlack(t *testing.T) {
	f := newHomeFixture(t)
	clock := commandstest.NewClock(time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC))
	f.svc.Clock = clock
	f.slack.AddUser(slacktest.User{ID: "U0CAROL", Name: "carol", TZ: "America/New_York"})
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: `request role=viewer devices=SN-1002 for=2h reason="night shift" start="tomorrow 09:00"`,
		UserID: "U0CAROL", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0CAROL"),
	})
	if status, answer := f.do(t, "/slack/commands", body); status != http.StatusOK {
		t.Fatalf("slash command: %d %s", status, answer)
	}
	var r *commands.Request
	if err := f.slack.WaitFor(homeContext(t), func(*slacktest.Server) bool {
		got, err := f.svc.Store.Get(homeContext(t), 1)
		r = got
		return err == nil
	}); err != nil {
		t.Fatalf("no request made: %v", err)
	}
	start := time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC) // 09:00 EST
	if !r.StartAt.Equal(start) {
		t.Fatalf("StartAt = %v, want %v", r.StartAt, start)
	}
	if _, err := f.svc.Approve(homeContext(t), r.ID, "U0ANN"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	date := fmt.Sprintf("<!date^%d^", start.Unix())
	msgs := f.slack.Messages("C0APPROVALS")
	if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "starts "+date) ||
		!strings.Contains(string(msgs[0].Blocks), `*Starts*\n\u003c!date^`+fmt.Sprint(start.Unix())) {
		t.Fatalf("the approval message does not show the start as a Slack date %s", date)
	}
	dms := f.slack.DMs("U0CAROL")
	if len(dms) != 1 || !strings.Contains(f.slack.RenderMessage(dms[0]), "It starts") || strings.Contains(string(dms[0].Blocks), "cakegate_reveal") {
		t.Fatalf("carol's DM before the start: %+v, want when it starts and no Reveal button", dms)
	}

	clock.Set(start)
	if _, err := f.svc.LapseUnrevealed(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	dms = f.slack.DMs("U0CAROL")
	last := dms[len(dms)-1]
	if !strings.Contains(f.slack.RenderMessage(last), "Your access is ready") || !strings.Contains(string(last.Blocks), "cakegate_reveal") {
		t.Fatalf("carol's DM at the start: %s, want her access ready with the Reveal button", f.slack.RenderMessage(last))
	}
	f.settle(t)
}

// TestStartInTheForm: the form remembers the zone Slack gave when it opened; a start typed
// there is read in it, and a refused one is shown next to the Start field.
func TestStartInTheForm(t *testing.T) {
	f := newHomeFixture(t)
	clock := commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	f.svc.Clock = clock
	f.slack.AddUser(slacktest.User{ID: "U0CAROL", Name: "carol", TZ: "Europe/Berlin"})
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: "request", UserID: "U0CAROL", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0CAROL"),
	})
	if status, answer := f.do(t, "/slack/commands", body); status != http.StatusOK {
		t.Fatalf("slash command: %d %s", status, answer)
	}
	f.requestForm(t, "U0CAROL", "Times are in your Slack time zone, Europe/Berlin.")
	submit := func(start string) string {
		cb, err := f.slack.ViewSubmission("U0CAROL", map[string]map[string]slack.BlockAction{
			"role":     {"role": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "viewer"}}},
			"devices":  {"devices": {Type: "multi_external_select", SelectedOptions: []slack.OptionBlockObject{{Value: "SN-1002"}}}},
			"duration": {"duration": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "2h"}}},
			"start":    {"start": {Type: "plain_text_input", Value: start}},
			"reason":   {"reason": {Type: "plain_text_input", Value: "x"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		body, err := slacktest.InteractionForm(cb)
		if err != nil {
			t.Fatal(err)
		}
		_, answer := f.do(t, "/slack/interactions", body)
		return answer
	}
	if answer := submit("08:00"); !strings.Contains(answer, `"start":"the start 2026-11-27 07:00 UTC is in the past`) {
		t.Fatalf("a start in the past: %s, want the refusal next to the Start field", answer)
	}
	if answer := submit("tomorrow 09:00"); answer != "" {
		t.Fatalf("submission answered %s, want it accepted", answer)
	}
	r, err := f.svc.Store.Get(homeContext(t), 1)
	if err != nil || !r.StartAt.Equal(time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("request %+v, %v: want it to start at 09:00 Berlin time tomorrow", r, err)
	}
	f.settle(t)
}
