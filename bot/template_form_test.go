package bot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// withTemplates gives the home fixture's policy a template for the viewer role.
func withTemplates(f *homeFixture) {
	f.svc.Policy.Templates = map[string]*commands.Template{
		"freezer-check": {Name: "freezer-check", Role: "viewer", Devices: []string{"SN-1002"}, Duration: 2 * time.Hour, ReasonHint: "Say which alarm."},
	}
	f.svc.Policy.TemplateOrder = []string{"freezer-check"}
}

// requestForm waits for the request form on user's screen with want in it.
func (f *homeFixture) requestForm(t *testing.T, user string, want ...string) slacktest.View {
	t.Helper()
	var form slacktest.View
	if err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		m, ok := s.ModalOpen(user)
		if !ok || m.CallbackID != "cakegate_request" {
			return false
		}
		form = m
		for _, w := range want {
			if !strings.Contains(string(m.Blocks), w) {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("no request form with %q for %s: %v\nlast seen: %s", want, user, err, form.Blocks)
	}
	return form
}

// TestQuickRequestStory: carol's Home tab offers the template as a Quick request; its button
// opens the form filled in from it; she submits; the request and the approval message name
// the template.
func TestQuickRequestStory(t *testing.T) {
	f := newHomeFixture(t)
	withTemplates(f)
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("Quick requests", "freezer-check", "viewer · 2h · SN-1002", "[freezer-check]"))

	f.click(t, "U0CAROL", bot.ActionQuickRequest+".0")
	form := f.requestForm(t, "U0CAROL", `"value":"SN-1002"`, "Say which alarm.")
	var blocks []struct {
		BlockID string `json:"block_id"`
		Element struct {
			InitialOption *struct {
				Value string `json:"value"`
			} `json:"initial_option"`
		} `json:"element"`
	}
	if err := json.Unmarshal(form.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	initial := map[string]string{}
	for _, b := range blocks {
		if b.Element.InitialOption != nil {
			initial[b.BlockID] = b.Element.InitialOption.Value
		}
	}
	if initial["template"] != "freezer-check" || initial["role"] != "viewer" || initial["duration"] != "2h" {
		t.Fatalf("the form starts at %v, want template freezer-check, role viewer, 2h", initial)
	}

	submit, err := f.slack.ViewSubmission("U0CAROL", map[string]map[string]slack.BlockAction{
		"template": {"template": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "freezer-check"}}},
		"role":     {"role": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "viewer"}}},
		"devices":  {"devices": {Type: "multi_external_select", SelectedOptions: []slack.OptionBlockObject{{Value: "SN-1002"}}}},
		"duration": {"duration": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "2h"}}},
		"reason":   {"reason": {Type: "plain_text_input", Value: "alarm 3 on the freezer"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, submit)
	r, err := f.svc.Store.Get(homeContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Template != "freezer-check" || r.Duration != 2*time.Hour || r.Role != "viewer" {
		t.Fatalf("request %+v, want freezer-check's viewer for 2h", r)
	}
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	msgs := f.slack.Messages("C0APPROVALS")
	if len(msgs) == 0 || !strings.Contains(f.slack.RenderMessage(msgs[0]), "*Template*\nfreezer-check") {
		var shown string
		if len(msgs) > 0 {
			shown = f.slack.RenderMessage(msgs[0])
		}
		t.Fatalf("the approval message does not name the template:\n%s", shown)
	}
	f.settle(t)
}

// TestStartFromATemplate: choosing a template in the form redraws it with the template's
// values under new block ids (Slack keeps what a field holds while its id stays), and a
// submission of that drawing is read from those ids.
func TestStartFromATemplate(t *testing.T) {
	f := newHomeFixture(t)
	withTemplates(f)
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: "request", UserID: "U0CAROL", ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: f.slack.NewResponseURL(), TriggerID: f.slack.NewTriggerID("U0CAROL"),
	})
	if status, answer := f.do(t, "/slack/commands", body); status != 200 {
		t.Fatalf("slash command: %d %s", status, answer)
	}
	f.requestForm(t, "U0CAROL", "Start from a template")

	pick, err := f.slack.ModalSelect("U0CAROL", "template", "template", "freezer-check")
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, pick)
	f.requestForm(t, "U0CAROL", `"block_id":"devices~1"`, `"value":"SN-1002"`)

	submit, err := f.slack.ViewSubmission("U0CAROL", map[string]map[string]slack.BlockAction{
		"template":   {"template": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "freezer-check"}}},
		"role~1":     {"role": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "viewer"}}},
		"devices~1":  {"devices": {Type: "multi_external_select", SelectedOptions: []slack.OptionBlockObject{{Value: "SN-1002"}}}},
		"duration~1": {"duration": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "2h"}}},
		"reason~1":   {"reason": {Type: "plain_text_input", Value: "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err = slacktest.InteractionForm(submit)
	if err != nil {
		t.Fatal(err)
	}
	if _, answer := f.do(t, "/slack/interactions", body); answer != "" {
		t.Fatalf("submission answered %s, want it accepted", answer)
	}
	r, err := f.svc.Store.Get(homeContext(t), 1)
	if err != nil || r.Template != "freezer-check" {
		t.Fatalf("request %+v, %v: want one from freezer-check", r, err)
	}
	f.settle(t)
}

// TestRequestFormOpensWhenATemplatesGroupCannotBeRead: templates are optional. When Slack
// cannot list the user group a template is limited to, the form still opens, without the
// template choice, as the Home tab goes without its Quick requests.
func TestRequestFormOpensWhenATemplatesGroupCannotBeRead(t *testing.T) {
	f := newHomeFixture(t)
	withTemplates(f)
	f.slack.AddUserGroup("S0OPS", "U0CAROL")
	f.svc.Policy.Templates["freezer-check"].Requesters = []string{"S0OPS"}
	f.slack.FailNext("usergroups.users.list", 10, "ratelimited")
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("[Request a token]"))
	f.click(t, "U0CAROL", bot.ActionOpenRequest)
	form := f.requestForm(t, "U0CAROL", `"block_id":"role"`)
	if strings.Contains(string(form.Blocks), "freezer-check") {
		t.Fatalf("the form offers a template whose group could not be read: %s", form.Blocks)
	}
	f.settle(t)
}
