package commands

// PolicyKeys are the keys a policy file may use, for the test that the README lists them.
var PolicyKeys = map[string][]string{
	"top":      policyTopKeys,
	"role":     policyRoleKeys,
	"devices":  policyDevicesKeys,
	"schedule": policyScheduleKeys,
	"review":   policyReviewKeys,
}
