package app

import (
	"context"

	"github.com/slack-go/slack"
)

// checkIdentityPins checks SLACK_TEAM_ID, SLACK_APP_ID and SLACK_ENTERPRISE_ID against
// what Slack says the bot token is (auth, and bots.info for the app), as serve does at
// start, where a mismatch stops it.
func checkIdentityPins(ctx context.Context, c *checker, api *slack.Client, cfg Config, auth *slack.AuthTestResponse) {
	if cfg.SlackTeamID == "" && cfg.SlackAppID == "" && cfg.SlackEnterpriseID == "" {
		return
	}
	app := ""
	if cfg.SlackAppID != "" && auth.BotID != "" {
		bot, err := api.GetBotInfoContext(ctx, slack.GetBotInfoParameters{Bot: auth.BotID})
		switch {
		case err != nil && slackAnswerCode(err) == "":
			c.unavailable("SLACK_APP_ID: Slack did not answer bots.info (%v): check the network; the app was not checked", err)
			return
		case err != nil:
			c.fail("SLACK_APP_ID: Slack says %s to bots.info: add the users:read scope, or unset SLACK_APP_ID", slackAnswerCode(err))
			return
		}
		app = bot.AppID
	}
	bad := false
	for _, p := range []struct{ name, pinned, is, what string }{
		{"SLACK_TEAM_ID", cfg.SlackTeamID, auth.TeamID, "workspace"},
		{"SLACK_APP_ID", cfg.SlackAppID, app, "app"},
		{"SLACK_ENTERPRISE_ID", cfg.SlackEnterpriseID, auth.EnterpriseID, "organization"},
	} {
		if p.pinned != "" && p.pinned != p.is {
			bad = true
			c.fail("%s=%s, but the bot token belongs to %s %q: use the bot token of the app that setting names, or correct the setting", p.name, p.pinned, p.what, p.is)
		}
	}
	if !bad {
		c.ok("the bot token belongs to the workspace and app the SLACK_*_ID settings name")
	}
}
