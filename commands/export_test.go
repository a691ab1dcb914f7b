package commands

// PolicyKeys are the keys a policy file may use, for the test that docs/policy.md lists them.
var PolicyKeys = map[string][]string{
	"top":      policyTopKeys,
	"role":     policyRoleKeys,
	"devices":  policyDevicesKeys,
	"schedule": policyScheduleKeys,
	"template": policyTemplateKeys,
	"on_call":  policyOnCallKeys,
	"review":   policyReviewKeys,
}
