package commands

import "strings"

// The texts commands writes for people (notifications, error messages) are Slack mrkdwn:
// cakegate writes its own mentions in Slack's <…> syntax (Mention). Every value that came
// from a person or from Datacake (reasons, device and API-user names, Datacake's error
// text, what someone typed) goes through Escape before it joins such a text, so that a
// reason of "<!channel>" shows as typed instead of pinging the channel, and
// "<https://evil.example|Approve R1>" cannot pose as a link cakegate posted.

// slackEscaper escapes the three characters Slack gives meaning to. A Replacer works in one
// pass, so text that already holds "&amp;" shows as typed.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes s, a value from a person or from Datacake, inert in Slack text: "&", "<" and
// ">" become entities, so no mention, link or date can come of it.
func Escape(s string) string { return slackEscaper.Replace(s) }
