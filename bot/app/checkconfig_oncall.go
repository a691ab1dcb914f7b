package app

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// checkOnCallGroups checks that the user group of each role's on-call rule exists in
// Slack. Unlike an approvers group, an empty one is no fault (nobody holds the pager just
// now), only worth a word.
func checkOnCallGroups(ctx context.Context, c *checker, api *slack.Client, policy *commands.Policy) {
	for _, name := range policy.RoleOrder {
		oc := policy.Roles[name].OnCall
		if oc == nil {
			continue
		}
		members, found := checkUserGroup(ctx, c, api, "role "+name+" on_call", oc.Group)
		switch {
		case !found:
			// checkUserGroup said why.
		case len(members) == 0:
			c.warn("role %s on_call: user group %s exists but has no members now, so the rule approves nobody until your on-call tool fills it", name, oc.Group)
		default:
			c.ok("role %s on_call: user group %s exists; %d on call now", name, oc.Group, len(members))
		}
	}
}
