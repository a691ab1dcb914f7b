package app

import (
	"fmt"
	"unicode/utf8"
)

// checkCommandName returns what is wrong with a slash command's name, or "": Slack takes a
// slash and up to 31 lower-case letters, digits, - and _. The manifest and CAKEGATE_COMMAND
// both ask it, so the app Slack creates and the texts the bot writes name the same command.
func checkCommandName(name string) string {
	const want = "a slash command is / and up to 31 lower-case letters, digits, - or _, like /cakegate"
	if len(name) < 2 || name[0] != '/' || utf8.RuneCountInString(name) > 32 {
		return fmt.Sprintf("%q: %s", name, want)
	}
	for _, c := range name[1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return fmt.Sprintf("%q: %s", name, want)
		}
	}
	return ""
}
