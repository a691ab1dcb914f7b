package commands

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// policyTemplateKeys are the keys of one entry of templates:.
var policyTemplateKeys = []string{"role", "devices", "duration", "reason_hint", "requesters"}

// policyTemplateInfo is what the check against the roles needs to know about a template,
// which may come before the roles in the file.
type policyTemplateInfo struct {
	t            *Template
	line         int // line of the template's name
	roleLine     int
	durationLine int
	deviceLines  []int // the line of each of t.Devices
}

// templateMap walks templates:, filling pol.Templates and pol.TemplateOrder in file order.
func (p *policyParser) templateMap(pol *Policy, f policyField) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret("", f.key, n) {
			return
		}
		p.addf(f.value.Line, "templates: want a mapping of template name to settings, like {field-check: {role: viewer, devices: [tag:field-test]}}, not %s", describeYAMLNode(n))
		return
	}
	if pol.Templates == nil {
		pol.Templates = map[string]*Template{}
	}
	for _, e := range p.entries(n, "templates: ") {
		if msg := checkRoleName(e.key); msg != "" {
			p.addf(e.line, "%s", strings.Replace(strings.Replace(msg, "roles: role name", "templates: template name", 1), "roles: a role name", "templates: a template name", 1))
			continue
		}
		t := p.template(e)
		pol.Templates[t.Name] = t
		pol.TemplateOrder = append(pol.TemplateOrder, t.Name)
	}
}

// template walks one template's settings; checkTemplates compares it with its role later.
func (p *policyParser) template(e policyField) *Template {
	t := &Template{Name: e.key}
	info := policyTemplateInfo{t: t, line: e.line}
	defer func() { p.templates = append(p.templates, info) }()
	where := fmt.Sprintf("template %q: ", e.key)
	n := resolveYAMLAlias(e.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret(where, "the value", n) {
			return t
		}
		p.addf(e.value.Line, "%swant a mapping of settings, like {role: viewer, devices: [tag:field-test], duration: 4h}, not %s", where, describeYAMLNode(n))
		return t
	}
	for _, f := range p.fields(n, where, policyTemplateKeys, policyRoleKeys, "is a role setting: a template takes role, devices, duration, reason_hint and requesters") {
		if isYAMLNull(f.value) {
			continue
		}
		switch f.key {
		case "role":
			info.roleLine = f.value.Line
			t.Role, _ = p.text(where, f)
		case "devices":
			items, ok := p.list(where, f, "a list of device serials, ids or tag:NAME, like [tag:field-test]")
			if !ok {
				continue
			}
			refs, _ := p.texts(where, f, items)
			for i, ref := range refs {
				ref = strings.TrimSpace(ref)
				if len(ref) >= len("tag:") && strings.EqualFold(ref[:len("tag:")], "tag:") {
					name := strings.TrimSpace(ref[len("tag:"):])
					if name == "" {
						p.addf(items[i].Line, "%sdevices: tag: needs a name, like tag:field-test", where)
						continue
					}
					ref = "tag:" + name
				}
				if strings.Contains(ref, ",") {
					p.addf(items[i].Line, "%sdevices: %s holds a comma: list each device as its own entry", where, showPolicyValue(ref))
					continue
				}
				t.Devices = append(t.Devices, ref)
				info.deviceLines = append(info.deviceLines, items[i].Line)
			}
		case "duration":
			info.durationLine = f.value.Line
			t.Duration, _ = p.duration(where, f)
		case "reason_hint":
			t.ReasonHint, _ = p.text(where, f)
		case "requesters":
			_, t.Requesters = p.requesters(where, f, false)
		}
	}
	if info.roleLine == 0 {
		p.addf(e.line, "%srole is missing: name the role it asks for, like role: viewer", where)
	}
	return info.t
}

// checkTemplates refuses a template that names no role of the policy or that would widen its
// role: a duration past the role's max_duration, or a device tag outside the role's tags.
// Devices named by serial or id are checked against the role when a request is made, since
// only Datacake knows their tags.
func (p *policyParser) checkTemplates(pol *Policy) {
	for _, info := range p.templates {
		t := info.t
		where := fmt.Sprintf("template %q: ", t.Name)
		if t.Role == "" {
			continue // reported already
		}
		if t.Role == AdoptedRole {
			p.addf(info.roleLine, "%srole %s is what cakegate calls adopted API users; no one may ask for it: name a role under roles:", where, AdoptedRole)
			continue
		}
		role, ok := pol.Roles[t.Role] // the policy's own: Role also knows the adopted users'
		if !ok {
			p.addf(info.roleLine, "%srole %s is not defined under roles:%s", where, showPolicyValue(t.Role), didYouMean(t.Role, pol.RoleOrder))
			continue
		}
		if role.MaxDuration > 0 && t.Duration > role.MaxDuration {
			p.addf(info.durationLine, "%sduration %s is longer than role %s allows (max_duration %s): a template never widens its role",
				where, FormatDuration(t.Duration), role.Name, FormatDuration(role.MaxDuration))
		}
		if role.Devices.Any {
			continue
		}
		for i, ref := range t.Devices {
			if tag, isTag := strings.CutPrefix(ref, "tag:"); isTag && !slices.Contains(role.Devices.Tags, tag) {
				p.addf(info.deviceLines[i], "%sdevices: tag:%s is outside role %s, which covers %s: a template never widens its role",
					where, showPolicyValue(tag), role.Name, role.Devices)
			}
		}
	}
}
