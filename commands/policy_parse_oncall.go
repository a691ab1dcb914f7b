package commands

import (
	"go.yaml.in/yaml/v3"
)

// policyOnCallKeys are the keys of a role's on_call.
var policyOnCallKeys = []string{"group", "max_duration"}

// onCall walks a role's on_call: {group: S…, max_duration: 4h}. Both are required: a group
// of whoever is on call, and how long a token the rule may grant without an approver.
func (p *policyParser) onCall(where string, f policyField) (oc *OnCall, maxLine int) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret(where, f.key, n) {
			return nil, 0
		}
		p.addf(f.value.Line, "%son_call: want {group: S0ONCALL, max_duration: 4h}, not %s", where, describeYAMLNode(n))
		return nil, 0
	}
	where += "on_call: "
	oc = &OnCall{}
	groupLine := 0
	for _, f := range p.fields(n, where, policyOnCallKeys, nil, "") {
		if isYAMLNull(f.value) {
			continue
		}
		switch f.key {
		case "group":
			groupLine = f.line
			s, ok := p.text(where, f)
			if !ok {
				continue
			}
			if msg := checkSlackID(s); msg != "" {
				p.addf(f.value.Line, "%sgroup %s", where, msg)
				continue
			}
			if !isGroup(s) {
				p.addf(f.value.Line, "%sgroup %s is a person, not a user group: name the Slack user group (S…) your on-call tool keeps up to date", where, showPolicyValue(s))
				continue
			}
			oc.Group = s
		case "max_duration":
			maxLine = f.value.Line
			oc.MaxDuration, _ = p.duration(where, f)
		}
	}
	switch {
	case groupLine == 0 && maxLine == 0:
		p.addf(f.line, "%sgroup and max_duration are missing: write on_call: {group: S0ONCALL, max_duration: 4h}", where)
	case groupLine == 0:
		p.addf(f.line, "%sgroup is missing: name the Slack user group (S…) of whoever is on call, like group: S0ONCALL", where)
	case maxLine == 0:
		p.addf(f.line, "%smax_duration is missing: say how long a token the rule may grant without an approver, like max_duration: 4h", where)
	}
	if oc.Group == "" || oc.MaxDuration <= 0 {
		return nil, maxLine
	}
	return oc, maxLine
}

// checkOnCall refuses an on_call that could grant more than its role, or that would never
// apply because the role needs no approver anyway.
func (p *policyParser) checkOnCall(role *Role, where string, line, maxLine int) {
	oc := role.OnCall
	switch {
	case oc == nil:
	case role.AutoApprove || role.BreakGlass:
		p.addf(line, "%son_call is set, but the role is granted without an approver anyway (auto_approve or break_glass): choose one", where)
	case role.MaxDuration > 0 && oc.MaxDuration > role.MaxDuration:
		p.addf(maxLine, "%son_call: max_duration %s is longer than the role's max_duration %s", where, FormatDuration(oc.MaxDuration), FormatDuration(role.MaxDuration))
	}
}
