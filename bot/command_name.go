package bot

import (
	"strings"

	"github.com/slack-go/slack"
)

// canonicalCommand is the slash command that the texts of package commands and the
// renderers are written with. Slack apps may install it under another name
// (CAKEGATE_COMMAND); the bot then shows every text with the name as installed, at the one
// place each text leaves for Slack, so a new text cannot forget it.
const canonicalCommand = "/cakegate"

// named returns text with the canonical command replaced by the installed one. Only a
// whole command is replaced ("/cakegate" followed by a space, a backtick, punctuation or the
// end), so "/cakegate-approvals" or a URL stays as it is.
func (b *Bot) named(text string) string {
	if b.name == canonicalCommand || !strings.Contains(text, canonicalCommand) {
		return text
	}
	var out strings.Builder
	for {
		i := strings.Index(text, canonicalCommand)
		if i < 0 {
			out.WriteString(text)
			return out.String()
		}
		end := i + len(canonicalCommand)
		whole := (i == 0 || strings.ContainsRune(" `(\n*_", rune(text[i-1]))) &&
			(end == len(text) || strings.ContainsRune(" `).,;:!?\n*_", rune(text[end])))
		out.WriteString(text[:i])
		if whole {
			out.WriteString(b.name)
		} else {
			out.WriteString(canonicalCommand)
		}
		text = text[end:]
	}
}

// namedText rewrites one text object in place (renderers build fresh blocks for each send).
func (b *Bot) namedText(t *slack.TextBlockObject) {
	if t != nil {
		t.Text = b.named(t.Text)
	}
}

// namedBlocks rewrites the command in every text of blocks, in place, and returns them.
func (b *Bot) namedBlocks(blocks []slack.Block) []slack.Block {
	if b.name == canonicalCommand {
		return blocks
	}
	for _, block := range blocks {
		switch bl := block.(type) {
		case *slack.SectionBlock:
			b.namedText(bl.Text)
			for _, f := range bl.Fields {
				b.namedText(f)
			}
		case *slack.ContextBlock:
			for _, e := range bl.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					b.namedText(t)
				}
			}
		case *slack.HeaderBlock:
			b.namedText(bl.Text)
		case *slack.InputBlock:
			b.namedText(bl.Hint)
			b.namedText(bl.Label)
		}
	}
	return blocks
}

// namedMessage is named for a whole message.
func (b *Bot) namedMessage(m message) message {
	return message{fallback: b.named(m.fallback), blocks: b.namedBlocks(m.blocks)}
}
