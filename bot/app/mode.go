package app

import "fmt"

// Slack reaches cakegate in one of two ways, chosen by SLACK_APP_TOKEN: Socket Mode (set:
// cakegate opens the connection, no public URL) or HTTP (unset: Slack calls cakegate's
// request URLs, signed with SLACK_SIGNING_SECRET). Both serve and check-config say which,
// since an app made for one mode and run in the other simply never hears from Slack.

// modeDescription says how Slack reaches cakegate in cfg's mode, and what that needs.
func (c Config) modeDescription() string {
	if c.SlackAppToken != "" {
		return "Socket Mode (SLACK_APP_TOKEN is set): cakegate connects to Slack, no public URL needed; the app must have Socket Mode on (cakegate manifest --socket-mode)"
	}
	return fmt.Sprintf("HTTP mode (SLACK_APP_TOKEN is not set): Slack must reach cakegate's port %s at the request URLs of the app (cakegate manifest --url https://…); "+
		"if the app was made with Socket Mode on, Slack never calls this address: set SLACK_APP_TOKEN instead", c.Addr)
}

// modeWarnings lists settings that belong to the other mode, each with its fix.
func (c Config) modeWarnings() []string {
	var out []string
	if c.SlackAppToken != "" && c.SlackSigningSecret != "" {
		out = append(out, "SLACK_SIGNING_SECRET is set, but Socket Mode does not use it (requests arrive over the connection SLACK_APP_TOKEN opens): "+
			"unset SLACK_SIGNING_SECRET, or, if Slack is to call cakegate over HTTP, unset SLACK_APP_TOKEN")
	}
	return out
}
