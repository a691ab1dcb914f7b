package commands

import (
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// ReviewPolicy is the policy's review: block, for access reviews.
type ReviewPolicy struct {
	// Schedule is a cron spec (in the policy's timezone) for reviews cakegate starts on its
	// own; "" means reviews run only on demand.
	Schedule string
	// Channel is where reviews are posted; "" means the policy's approvals_channel.
	Channel string
	// GrantsOlderThan is the age from which a grant is put to a review for
	// re-certification; 0 means DefaultGrantsOlderThan.
	GrantsOlderThan time.Duration
}

// DefaultGrantsOlderThan is review: grants_older_than when the policy file names none.
const DefaultGrantsOlderThan = 7 * 24 * time.Hour

var policyReviewKeys = []string{"schedule", "channel", "grants_older_than"}

// ReviewChannel is where access reviews are posted.
func (p *Policy) ReviewChannel() string {
	if p.Review.Channel != "" {
		return p.Review.Channel
	}
	return p.ApprovalsChannel
}

// grantsOlderThan is the age from which a review asks about a grant.
func (p *Policy) grantsOlderThan() time.Duration {
	if p.Review.GrantsOlderThan > 0 {
		return p.Review.GrantsOlderThan
	}
	return DefaultGrantsOlderThan
}

// review reads the review: block.
func (p *policyParser) review(pol *Policy, f policyField) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret("", f.key, n) {
			return
		}
		p.addf(f.value.Line, "review: want a mapping like {channel: C0123456789, grants_older_than: 7d}, not %s", describeYAMLNode(n))
		return
	}
	for _, f := range p.fields(n, "review: ", policyReviewKeys, nil, "") {
		if isYAMLNull(f.value) {
			continue
		}
		switch f.key {
		case "schedule":
			if spec, ok := p.text("review: ", f); ok && spec != "" {
				if _, err := cron.ParseStandard(spec); err != nil {
					p.addf(f.value.Line, "review: schedule %s is not a cron spec (%v): write it like \"0 9 * * MON\" (Mondays at 9:00 in timezone)", showPolicyValue(spec), err)
				} else {
					pol.Review.Schedule = spec
				}
			}
		case "channel":
			if c, ok := p.text("review: ", f); ok && c != "" {
				if msg := checkChannelID(c); msg != "" {
					p.addf(f.value.Line, "review: channel: %s", msg)
				} else {
					pol.Review.Channel = c
				}
			}
		case "grants_older_than":
			if d, ok := p.duration("review: ", f); ok {
				pol.Review.GrantsOlderThan = d
			}
		}
	}
}

// checkReservedRoles keeps the role name of adopted API users' records free.
func (p *policyParser) checkReservedRoles(pol *Policy) {
	if _, ok := pol.Roles[AdoptedRole]; ok {
		p.addf(0, "roles: %s is the name cakegate gives adopted API users (see review); name this role otherwise", AdoptedRole)
	}
}
