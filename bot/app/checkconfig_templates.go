package app

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// checkTemplatePeople checks that the users and groups each template is limited to resolve
// in Slack. What a template may give is checked when the policy is loaded: one that would
// widen its role never gets this far.
func checkTemplatePeople(ctx context.Context, c *checker, api *slack.Client, policy *commands.Policy) {
	for _, name := range policy.TemplateOrder {
		checkPeople(ctx, c, api, "template "+name+" requesters", policy.Templates[name].Requesters)
	}
}

// checkTemplateDevices resolves each template's devices in Datacake as a request from it
// would: a serial that is gone, a tag no device carries any more, or a device now outside
// the role's scope would refuse everyone who clicks the template.
func checkTemplateDevices(ctx context.Context, c *checker, client *datacake.Client, policy *commands.Policy) {
	svc := &commands.Service{Policy: policy, Devices: datacakeAdapter{client: client}}
	for _, name := range policy.TemplateOrder {
		if len(policy.Templates[name].Devices) == 0 {
			continue
		}
		devices, err := svc.TemplateDevices(ctx, name)
		switch {
		case commands.ErrorCode(err) == commands.CodeUnavailable:
			c.unavailable("template %s devices: Datacake did not answer (%v); they were not checked", name, errors.Unwrap(err))
		case err != nil:
			c.fail("template %s devices: %s Fix the template's devices: in the policy file.", name, commands.UserMessage(err))
		default:
			c.ok("template %s: %s, open to role %s", name, commands.Plural(len(devices), "device", "devices"), policy.Templates[name].Role)
		}
	}
}
