package sandbox

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// TestLegacyTokenDMEditedOnRevoke: a grant made by a cakegate from before Reveal had its
// token posted in a direct message (the migration marks it TokenInDM). When the grant ends,
// that message is edited so the token no longer shows in Slack's history.
func TestLegacyTokenDMEditedOnRevoke(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	approveR1(t, ctx, s, "8h")
	token := s.datacake.APIUsers(sandboxWorkspace)[0].Token

	// The old cakegate's token DM, among other messages.
	old := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(s.slack.URL()))
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "```"+token+"```", false, false), nil, nil, slack.SectionBlockOptionBlockID("R1_token"))}
	channel, ts, err := old.PostMessageContext(ctx, slacktest.DMChannel(sandboxAlice), slack.MsgOptionText("Your token for R1 is ready", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Store().Update(ctx, 1, func(r *commands.Request) (commands.Change, error) {
		r.TokenInDM = true
		return commands.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}

	if _, err := s.slash(ctx, sandboxAlice, "revoke R1"); err != nil {
		t.Fatal(err)
	}
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		m, ok := srv.Message(channel, ts)
		return ok && m.Updates > 0
	}); err != nil {
		t.Fatalf("the old token DM was not edited: %v", err)
	}
	m, _ := s.slack.Message(channel, ts)
	if strings.Contains(string(m.Blocks)+m.Text, token) {
		t.Fatalf("the old DM still shows the token: %s", m.Blocks)
	}
	mustContain(t, "edited DM", s.slack.RenderMessage(m), "showed the token of R1", "no longer works")
}
