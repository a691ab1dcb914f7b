package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// homeQuickShown is how many Quick requests buttons the Home tab shows: one actions block.
const homeQuickShown = 25

// homeQuickRequests renders the Quick requests section: one button per template the user may
// use, each opening the request form filled in from it. Nothing when there are none.
func homeQuickRequests(s *blockSet, templates []*commands.Template, name string) {
	if len(templates) == 0 {
		return
	}
	s.header("home_quick", "Quick requests")
	var lines []string
	var buttons []slack.BlockElement
	for i, t := range templates {
		if i == homeQuickShown {
			lines = append(lines, fmt.Sprintf("…and %d more in the form's *Start from a template*.", len(templates)-i))
			break
		}
		lines = append(lines, "*"+escapeLimit(t.Name, 100)+"* · "+escapeLimit(templateSummary(t), 300))
		// Action ids must differ within a block; the value names the template.
		buttons = append(buttons, slack.NewButtonBlockElement(ActionQuickRequest+"."+strconv.Itoa(i), truncateRunes(t.Name, 2000), plainText(truncateRunes(t.Name, 75))))
	}
	text, _ := packLines(lines, maxSectionRunes)
	s.section("home_quick_list", text[0])
	s.actions("home_quick_actions", buttons...)
	s.context("home_quick_hint", fmt.Sprintf("Or by text: `%s request template=NAME`.", escapeLimit(name, 100)))
}

// isQuickRequest reports whether actionID is a Quick requests button.
func isQuickRequest(actionID string) bool {
	return strings.HasPrefix(actionID, ActionQuickRequest+".")
}
