package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Block Kit limits the renderers keep to. Slack rejects a whole message past any of them, so
// a long list or a long text is cut rather than sent. Lengths count code points, as Slack does.
const (
	maxMessageBlocks  = 50
	maxSectionRunes   = 3000
	maxFieldRunes     = 2000
	maxSectionFields  = 10
	maxHeaderRunes    = 150
	maxButtonRunes    = 75
	maxContextRunes   = 3000
	maxConfirmTitle   = 100
	maxConfirmText    = 300
	maxRenderedIDRune = 255
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// escapeMrkdwn makes text from people (reasons, names, descriptions) safe to show in mrkdwn:
// "<!channel>" or "<@U1>" in a reason shows as typed instead of pinging, and
// "<https://x|label>" cannot forge a link.
func escapeMrkdwn(s string) string { return commands.Escape(s) }

// escapeLimit escapes s like escapeMrkdwn and cuts it, ending with "…", so that the escaped
// result is at most limit runes. It cuts the text before escaping, so it never splits an
// entity like "&amp;".
func escapeLimit(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	total := 0
	for _, r := range s {
		total += escapedRunes(r)
	}
	if total <= limit {
		return escapeMrkdwn(s)
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		n := escapedRunes(r)
		if used+n > limit-1 {
			break
		}
		used += n
		b.WriteString(escapeMrkdwn(string(r)))
	}
	return b.String() + ellipsis
}

func escapedRunes(r rune) int {
	switch r {
	case '&':
		return len("&amp;")
	case '<', '>':
		return len("&lt;")
	}
	return 1
}

// truncateRunes cuts s to at most limit runes, the last of them "…" when anything was cut.
func truncateRunes(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit-1]) + ellipsis
}

// truncateMrkdwn cuts mrkdwn that is already escaped and formatted to at most limit runes.
// Unlike truncateRunes it does not leave half a "<@U1>", "<!date^…>" or "&amp;" behind: a cut
// inside one drops the whole of it.
func truncateMrkdwn(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)[:limit-1]
	if i := lastIndexRune(runes, '<'); i >= 0 && lastIndexRune(runes[i:], '>') < 0 {
		runes = runes[:i]
	}
	if i := lastIndexRune(runes, '&'); i >= 0 && len(runes)-i <= len("&amp;") && lastIndexRune(runes[i:], ';') < 0 {
		runes = runes[:i]
	}
	return strings.TrimRight(string(runes), " \n") + ellipsis
}

func lastIndexRune(runes []rune, r rune) int {
	for i := len(runes) - 1; i >= 0; i-- {
		if runes[i] == r {
			return i
		}
	}
	return -1
}

// slackDate formats t as a Slack date token: each reader sees it in their own time zone, and
// clients that cannot render it show the UTC fallback, like "2026-11-27 17:00 UTC".
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// who shows the actor of a decision: a mention for a Slack user, "cakegate" for cakegate's
// own decisions (auto-approval, expiry).
func who(id string) string {
	switch id {
	case "":
		return "someone"
	case commands.Actor:
		return commands.Actor
	}
	return commands.Mention(escapeMrkdwn(id))
}

// whoList shows several actors: "<@U1>, <@U2>".
func whoList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = who(id)
	}
	return strings.Join(out, ", ")
}

// plural returns "1 device" or "3 devices" (commands.Plural, the one way to count).
func plural(n int, one, many string) string { return commands.Plural(n, one, many) }

// deviceList names devices by label, escaped, separated by commas, and ends with
// "and N more" where the whole would pass limit runes.
func deviceList(devices []commands.Device, limit int) string {
	if len(devices) == 0 {
		return "none"
	}
	var b strings.Builder
	used := 0
	for i, d := range devices {
		label := escapeMrkdwn(d.Label())
		sep := ""
		if i > 0 {
			sep = ", "
		}
		n := utf8.RuneCountInString(sep + label)
		rest := len(devices) - i - 1
		// Room must remain for " and N more" unless this is the last device.
		reserve := 0
		if rest > 0 {
			reserve = utf8.RuneCountInString(fmt.Sprintf(" and %d more", rest))
		}
		if used+n+reserve > limit {
			more := fmt.Sprintf("and %d more", len(devices)-i)
			if i == 0 {
				return truncateMrkdwn(label, limit-utf8.RuneCountInString(" "+more)) + " " + more
			}
			b.WriteString(" " + more)
			return b.String()
		}
		b.WriteString(sep + label)
		used += n
	}
	return b.String()
}

// Text objects. Every mrkdwn object is verbatim, so that Slack does not turn a bare
// "@channel" or "#general" typed in a reason into a mention or a link; cakegate writes its
// own mentions, links and dates in Slack's <…> syntax, which verbatim still honours.

func mrkdwnText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// field is one section field: a bold label over its value, within the field limit.
func field(label, value string) *slack.TextBlockObject {
	if value == "" {
		value = "—"
	}
	return mrkdwnText(truncateMrkdwn("*"+label+"*\n"+value, maxFieldRunes))
}

// fieldBudget is how many runes a field's value may take beside its label.
func fieldBudget(label string) int {
	return maxFieldRunes - utf8.RuneCountInString("*"+label+"*\n")
}

// blockSet builds a message's blocks and hands out block ids that are unique within it.
type blockSet struct {
	blocks []slack.Block
	ids    map[string]int
}

// id returns base, or base with a number appended if base was handed out before.
func (s *blockSet) id(base string) string {
	base = truncateRunes(base, maxRenderedIDRune-8)
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	n := s.ids[base]
	s.ids[base] = n + 1
	if n == 0 {
		return base
	}
	return fmt.Sprintf("%s_%d", base, n+1)
}

func (s *blockSet) add(b ...slack.Block) { s.blocks = append(s.blocks, b...) }

func (s *blockSet) header(id, text string) {
	s.add(slack.NewHeaderBlock(plainText(truncateRunes(text, maxHeaderRunes)), slack.HeaderBlockOptionBlockID(s.id(id))))
}

func (s *blockSet) section(id, text string) *slack.SectionBlock {
	b := s.sectionBlock(id, text)
	s.add(b)
	return b
}

// sectionBlock is a section of mrkdwn text cut to the limit, with an id from s, that is not
// added yet: an item of a list that fitItems or fitRoom adds if there is room.
func (s *blockSet) sectionBlock(id, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwnText(truncateMrkdwn(text, maxSectionRunes)), nil, nil, slack.SectionBlockOptionBlockID(s.id(id)))
}

func (s *blockSet) fields(id string, fields ...*slack.TextBlockObject) {
	if len(fields) > maxSectionFields {
		fields = fields[:maxSectionFields]
	}
	s.add(slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID(s.id(id))))
}

func (s *blockSet) context(id, text string) {
	s.add(slack.NewContextBlock(s.id(id), mrkdwnText(truncateMrkdwn(text, maxContextRunes))))
}

func (s *blockSet) actions(id string, buttons ...slack.BlockElement) {
	s.add(slack.NewActionBlock(s.id(id), buttons...))
}

// fitItems appends items (each one or more blocks that belong together) to s as long as the
// message stays within Slack's block limit, and returns the message's blocks. When not all
// fit, the last block is a context block "…and N more" (more says of what), so a long list
// is cut rather than refused.
func fitItems(s *blockSet, items [][]slack.Block, more func(n int) string) []slack.Block {
	fitRoom(s, "more", items, maxMessageBlocks-len(s.blocks), "", more)
	return s.blocks
}

// fitRoom appends items (each one or more blocks that belong together) to s as long as
// they fit in room blocks. When not all fit, the last of the room is a context block
// "…and N more" (more says of what), so a long list is cut rather than refused. With no
// items it adds a context block saying empty, if that is not "".
func fitRoom(s *blockSet, moreID string, items [][]slack.Block, room int, empty string, more func(n int) string) {
	if room <= 0 {
		return
	}
	if len(items) == 0 {
		if empty != "" {
			s.context(moreID, empty)
		}
		return
	}
	total := 0
	for _, it := range items {
		total += len(it)
	}
	if total <= room {
		for _, it := range items {
			s.add(it...)
		}
		return
	}
	shown, used := 0, 0
	for _, it := range items {
		if used+len(it) > room-1 {
			break
		}
		s.add(it...)
		used += len(it)
		shown++
	}
	s.context(moreID, more(len(items)-shown))
}

// packLines joins lines into as few section texts as the limit allows, each line cut to the
// limit first. counts[i] is how many lines sections[i] holds.
func packLines(lines []string, limit int) (sections []string, counts []int) {
	var b strings.Builder
	used, n := 0, 0
	flush := func() {
		if n > 0 {
			sections, counts = append(sections, b.String()), append(counts, n)
		}
		b.Reset()
		used, n = 0, 0
	}
	for _, line := range lines {
		line = truncateMrkdwn(line, limit)
		size := utf8.RuneCountInString(line)
		if n > 0 && used+1+size > limit {
			flush()
		}
		if n > 0 {
			b.WriteByte('\n')
			used++
		}
		b.WriteString(line)
		used += size
		n++
	}
	flush()
	return sections, counts
}

// Buttons. Their value is the request id and the version shown, as actions.go says.

func button(actionID, text string, r *commands.Request, style slack.Style) *slack.ButtonBlockElement {
	return valueButton(actionID, text, buttonValue(r), style)
}

// valueButton is a button carrying value, its label cut to Slack's limit.
func valueButton(actionID, text, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plainText(truncateRunes(text, maxButtonRunes)))
	if style != "" {
		b.WithStyle(style)
	}
	return b
}

// revokeButton asks once more before revoking: unlike the other buttons, a slip cannot be
// undone, and the holder's scripts stop working at once.
func revokeButton(r *commands.Request) *slack.ButtonBlockElement {
	return confirmedButton(r, "Revoke", "Revoke "+r.ID.String()+"?", "Revoke "+r.ID.String()+"? The token stops working at once.", "Revoke")
}

// confirmedButton is a danger button of ActionRevoke labelled label, which asks title and
// text, confirmed with yes or kept.
func confirmedButton(r *commands.Request, label, title, text, yes string) *slack.ButtonBlockElement {
	confirm := slack.NewConfirmationBlockObject(
		plainText(truncateRunes(title, maxConfirmTitle)),
		plainText(truncateRunes(text, maxConfirmText)),
		plainText(yes),
		plainText("Keep it"),
	).WithStyle(slack.StyleDanger)
	return button(ActionRevoke, label, r, slack.StyleDanger).WithConfirm(confirm)
}

// withdrawButton takes an approval back before its token is revealed, asking once more:
// the requester's Reveal button stops working.
func withdrawButton(r *commands.Request) *slack.ButtonBlockElement {
	id := r.ID.String()
	return confirmedButton(r, "Withdraw approval", "Withdraw the approval of "+id+"?", "No token will be made for "+id+", and its requester's Reveal button stops working.", "Withdraw")
}
