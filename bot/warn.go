package bot

import (
	"strings"
)

// warnPrefix starts every text that warns a user.
const warnPrefix = ":warning:"

// warned logs a warning shown to user as one WARN line, "user warned", with the words
// the user read (its first paragraph: usage text may follow), so an operator can grep the
// log for what a user reports. Texts without the warning sign are not logged. Warnings the
// use cases queue for delivery are logged when queued (bot/app), not here.
func (b *Bot) warned(user, text string) {
	rest, ok := strings.CutPrefix(text, warnPrefix)
	if !ok {
		return
	}
	b.warn(user, rest)
}

// warn logs text, a warning shown to user, as one WARN line.
func (b *Bot) warn(user, text string) {
	text, _, _ = strings.Cut(strings.TrimSpace(text), "\n\n")
	b.log.Warn("user warned", "user", user, "warning", strings.Join(strings.Fields(text), " "))
}
