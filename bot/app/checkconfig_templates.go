package app

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// checkTemplatePeople checks that the users and groups each template is limited to resolve
// in Slack. What a template may give is checked when the policy is loaded: one that would
// widen its role never gets this far.
func checkTemplatePeople(ctx context.Context, c *checker, api *slack.Client, policy *commands.Policy) {
	for _, name := range policy.TemplateOrder {
		checkPeople(ctx, c, api, "template "+name+" requesters", policy.Templates[name].Requesters)
	}
}
