package slacktest_test

import (
	"encoding/json"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

func TestRender(t *testing.T) {
	srv := mustStart(t)
	tests := []struct {
		name   string
		blocks []slack.Block
		want   string
	}{
		{"SectionWithFieldsAndButton", []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "<@U0ALICE> asks for access", false, false),
				[]*slack.TextBlockObject{plain("Scope: read"), plain("For: 1h")},
				slack.NewAccessory(button("details", "Details", "r1"))),
		}, "@alice asks for access  [Details]\nScope: read\nFor: 1h"},
		{"HeaderDividerContext", []slack.Block{
			slack.NewHeaderBlock(plain("Access request")),
			slack.NewDividerBlock(),
			slack.NewContextBlock("c", slack.NewTextBlockObject(slack.MarkdownType, "Expires <!date^1700000000^{time}|at 22:13>", false, false), plain("id r1")),
		}, "Access request\n---\nExpires at 22:13  id r1"},
		{"Actions", []slack.Block{
			slack.NewActionBlock("a", button("approve", "Approve", "1"), button("deny", "Deny", "1"),
				slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Duration"), "d", options(2, 3, 3)...)),
		}, "[Approve] [Deny] [Duration ▾]"},
		{"LinksAndEscapes", []slack.Block{
			section("See <https://datacake.example/t/1|the table> &amp; <#C0DATA|data-access> &lt;3 <!subteam^S0OWNERS|@owners>"),
		}, "See the table & #data-access <3 @owners"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.blocks)
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Render(raw); got != tc.want {
				t.Fatalf("Render =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}

	t.Run("WithoutNames", func(t *testing.T) {
		raw, _ := json.Marshal([]slack.Block{section("<@U0ALICE> asked")})
		if got := slacktest.RenderBlocks(raw); got != "@U0ALICE asked" {
			t.Fatalf("RenderBlocks = %q", got)
		}
	})

	t.Run("TextOnlyMessage", func(t *testing.T) {
		if got := srv.RenderMessage(slacktest.Message{Text: "Hi <@U0BOB>"}); got != "Hi @bob" {
			t.Fatalf("RenderMessage = %q", got)
		}
	})
}
