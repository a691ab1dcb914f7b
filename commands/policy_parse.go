package commands

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// PolicyError is every problem found in a policy file, in file order. The whole list is
// returned at once so that an operator fixes the file in one go, not one error per restart.
type PolicyError struct {
	File     string
	Problems []PolicyProblem
}

// PolicyProblem is one thing wrong in a policy file.
type PolicyProblem struct {
	Line    int // 1-based line the problem is on; 0 when unknown
	Message string
}

// Error returns one "file:line: message" line per problem.
func (e *PolicyError) Error() string {
	file := e.File
	if file == "" {
		file = "policy"
	}
	if len(e.Problems) == 0 {
		return file + ": invalid policy"
	}
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(file)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// LoadPolicy reads and parses the file at path.
func LoadPolicy(path string, opts ...PolicyOption) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	return ParsePolicy(path, data, opts...)
}

// PolicyOption adds a check to ParsePolicy.
type PolicyOption func(*policyParser)

// WithScheduleCheck has every schedule: spec checked by check (nil: a valid spec), so a
// bad one is reported with its line among the file's other problems. The scheduler
// knows the cron syntax; the domain does not.
func WithScheduleCheck(check func(spec string) error) PolicyOption {
	return func(p *policyParser) { p.checkSchedule = check }
}

// ParsePolicy parses a policy file's contents; filename is used in error messages.
// Any problem — unknown or repeated keys, wrong types, bad values, rules that contradict each
// other — makes it return a *PolicyError listing all of them, and no policy.
func ParsePolicy(filename string, data []byte, opts ...PolicyOption) (*Policy, error) {
	p := &policyParser{}
	for _, o := range opts {
		o(p)
	}
	root := p.decode(data)
	var pol *Policy
	if root != nil {
		pol = p.policy(root)
		p.checkApprovers(pol)
		p.checkEscalation(pol)
		p.checkTemplates(pol)
		p.checkReservedRoles(pol)
	}
	if len(p.problems) > 0 {
		return nil, &PolicyError{File: filename, Problems: p.sortedProblems()}
	}
	return pol, nil
}

// The keys a policy file may use, in the order the documentation lists them.
var (
	policyTopKeys = []string{
		"workspace", "approvals_channel", "approvers", "requesters", "allow_self_approval",
		"timezone", "reminders", "pending_timeout", "roles", "schedule", "orphans", "orphans_brake",
		"escalate_after", "escalate_to", "quiet_hours", "notify_approvers", "max_open_requests",
		"reveal_within", "max_reissues", "templates", "max_lead", "review", "adopt_max",
	}
	policyRoleKeys = []string{
		"description", "workspace_permissions", "device_permissions", "devices",
		"max_duration", "default_duration", "approvals", "approvers", "requesters",
		"auto_approve", "break_glass", "extend_without_approval",
		"approvals_channel", "escalate_after", "escalate_to", "notify_approvers",
		"reason_required", "reason_min_length", "reason_pattern", "reason_hint", "on_call",
	}
	policyDevicesKeys  = []string{"tags"}
	policyScheduleKeys = []string{"expire", "remind", "pending", "outbox", "reconcile", "leavers"}
)

// policyDefaultDuration is a role's default_duration when the file leaves it out (capped
// at the role's max_duration).
const policyDefaultDuration = 8 * time.Hour

// policyParser walks the YAML tree of a policy file, collecting problems instead of
// stopping at the first.
type policyParser struct {
	problems []PolicyProblem
	// checkSchedule checks a schedule: spec (WithScheduleCheck); nil: none.
	checkSchedule func(spec string) error
	// approversLine is where the top-level approvers are; approversBad says they had a
	// problem already reported, so the checks that count approvers stay quiet.
	approversLine int
	approversBad  bool
	roles         []policyRoleInfo
	// escalateToLines holds where escalate_to was set, by "where" prefix ("" for the top
	// level), for the checks that need the whole file.
	escalateToLines map[string]int
	templates       []policyTemplateInfo
}

// policyRoleInfo is what the cross-role checks need to know about a parsed role.
type policyRoleInfo struct {
	role          *Role
	line          int // line of the role's name
	approvalsLine int // 0 when approvals was left out
	approversBad  bool
}

// policyField is one key: value pair of a mapping.
type policyField struct {
	key   string
	line  int // line of the key
	value *yaml.Node
}

func (p *policyParser) addf(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// One problem is one line of the error, whatever a value held.
	msg = strings.ReplaceAll(msg, "\n", " ")
	// Whatever slipped through, a token never reaches an error message.
	msg = redactSlackTokens(msg)
	p.problems = append(p.problems, PolicyProblem{Line: line, Message: msg})
}

// sortedProblems returns the problems in file order, without repeats (an alias used twice
// can produce the same problem twice).
func (p *policyParser) sortedProblems() []PolicyProblem {
	slices.SortStableFunc(p.problems, func(a, b PolicyProblem) int { return a.Line - b.Line })
	return slices.Compact(p.problems)
}

var (
	yamlLineError     = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)
	yamlUnknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its scanner). For
// these it counts lines from 0, and a problem on the first line comes without one.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlErrorLine splits a yaml.v3 error into a 1-based line and a message.
func yamlErrorLine(err error, data []byte) (int, string) {
	text := err.Error()
	if m := yamlLineError.FindStringSubmatch(text); m != nil {
		line, _ := strconv.Atoi(m[1])
		if slices.Contains(yamlParserProblems, m[2]) {
			line++
		}
		// These count from where the enclosing block starts, not from the stray line.
		switch m[2] {
		case "did not find expected key", "did not find expected ',' or '}'":
			return line, m[2] + " in the mapping that starts here"
		case "did not find expected '-' indicator", "did not find expected ',' or ']'":
			return line, m[2] + " in the list that starts here"
		}
		return line, m[2]
	}
	msg := strings.TrimPrefix(text, "yaml: ")
	if m := yamlUnknownAnchor.FindStringSubmatch(text); m != nil {
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "*"+m[1]) {
				return i + 1, msg
			}
		}
	}
	// Without a line yaml.v3 means the first one.
	return 1, msg
}

// decode parses data as a single YAML document and returns its root node, or nil after
// reporting why there is none.
func (p *policyParser) decode(data []byte) *yaml.Node {
	doc, extraLine, err := decodeOneYAMLDocument(data)
	if err != nil {
		if line := firstTabIndent(data); line > 0 {
			// YAML's own words ("found character that cannot start any token") do not say
			// the tab is the trouble, and often point at another line.
			p.addf(line, "indented with a tab: YAML indents with spaces only; replace the tabs at the start of the line with spaces")
			return nil
		}
		line, msg := yamlErrorLine(err, data)
		p.addf(line, "not valid YAML: %s", msg)
		return nil
	}
	if doc == nil || len(doc.Content) == 0 || isYAMLNull(doc.Content[0]) {
		p.addf(1, "the policy file is empty: it needs at least workspace, approvals_channel and roles")
		return nil
	}
	if extraLine > 0 {
		p.addf(extraLine, "a second YAML document: a policy file holds exactly one, so remove this ---")
	}
	return doc.Content[0]
}

// firstTabIndent returns the first line whose indentation holds a tab, or 0.
func firstTabIndent(data []byte) int {
	for i, l := range strings.Split(string(data), "\n") {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(l) != "" {
			return i + 1
		}
	}
	return 0
}

// decodeOneYAMLDocument decodes the first document of data into a node tree and tells where
// a second document starts, if there is one. A nil node without error means data holds no
// document at all.
func decodeOneYAMLDocument(data []byte) (doc *yaml.Node, extraLine int, err error) {
	defer func() {
		// A parser bug must not take the process down over a config file.
		if r := recover(); r != nil {
			doc, extraLine, err = nil, 0, fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, nil
		}
		return nil, 0, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, 0, err
	default:
		extraLine = max(extra.Line, 1)
	}
	return &n, extraLine, nil
}

// policy walks the root mapping.
func (p *policyParser) policy(n *yaml.Node) *Policy {
	pol := &Policy{
		AllRequesters:   true,
		Location:        time.UTC,
		Reminders:       slices.Clone(DefaultReminders),
		PendingTimeout:  DefaultPendingTimeout,
		Roles:           map[string]*Role{},
		Schedule:        DefaultSchedule,
		Orphans:         OrphansDelete,
		OrphansBrake:    DefaultOrphansBrake,
		MaxOpenRequests: DefaultMaxOpenRequests,
		RevealWithin:    DefaultRevealWithin,
		MaxReissues:     DefaultMaxReissues,
		MaxLead:         DefaultMaxLead,
	}
	n = resolveYAMLAlias(n)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret("", "the file", n) {
			return pol
		}
		p.addf(n.Line, "the policy file must be a mapping of settings like workspace:, approvals_channel: and roles:, not %s", describeYAMLNode(n))
		return pol
	}
	fields := p.fields(n, "", policyTopKeys, policyRoleKeys, "is a role setting: put it under roles: NAME:")
	for _, f := range fields {
		if isYAMLNull(f.value) {
			continue // same as leaving it out; required keys are checked below
		}
		switch f.key {
		case "workspace":
			pol.Workspace, _ = p.text("", f)
		case "approvals_channel":
			var ok bool
			if pol.ApprovalsChannel, ok = p.text("", f); ok && pol.ApprovalsChannel != "" {
				if msg := checkChannelID(pol.ApprovalsChannel); msg != "" {
					p.addf(f.value.Line, "approvals_channel: %s", msg)
				}
			}
		case "approvers":
			p.approversLine = f.line
			var ok bool
			pol.Approvers, ok = p.slackIDs("", f)
			p.approversBad = !ok
		case "requesters":
			pol.AllRequesters, pol.Requesters = p.requesters("", f, true)
		case "allow_self_approval":
			pol.AllowSelfApproval, _ = p.boolean("", f)
		case "timezone":
			if name, ok := p.text("", f); ok {
				pol.Location = p.location(f, name)
			}
		case "reminders":
			pol.Reminders = p.reminders(f)
		case "pending_timeout":
			if d, ok := p.duration("", f); ok {
				pol.PendingTimeout = d
			}
		case "roles":
			p.roleMap(pol, f)
		case "templates":
			p.templateMap(pol, f)
		case "schedule":
			p.schedule(&pol.Schedule, f)
		case "orphans":
			if s, ok := p.text("", f); ok {
				p.orphans(pol, f, s)
			}
		case "escalate_after", "escalate_to", "quiet_hours", "notify_approvers":
			p.approvalsFlowTop(pol, f)
		case "reveal_within":
			if d, ok := p.duration("", f); ok {
				pol.RevealWithin = d
				if d <= 0 {
					p.addf(f.value.Line, "reveal_within %s: must be more than 0 (how long an approval waits for its requester to reveal the token)", FormatDuration(d))
				}
			}
		case "max_lead":
			if d, ok := p.duration("", f); ok {
				pol.MaxLead = d
			}
		case "max_reissues":
			if v, ok := p.integer("", f); ok {
				pol.MaxReissues = v
				if v < 0 {
					p.addf(f.value.Line, "max_reissues %d: must be 0 or more (0 never re-issues a revealed token)", v)
				}
			}
		case "review":
			p.review(pol, f)
		case "adopt_max":
			pol.AdoptMax, _ = p.duration("", f)
		case "orphans_brake":
			if v, ok := p.integer("", f); ok {
				pol.OrphansBrake = v
				if v < 0 {
					p.addf(f.value.Line, "orphans_brake %d: must be 0 or more (0 asks an approver before deleting any orphan)", v)
				}
			}
		case "max_open_requests":
			if v, ok := p.integer("", f); ok {
				pol.MaxOpenRequests = v
				if v < 1 {
					p.addf(f.value.Line, "max_open_requests %d: must be at least 1 (how many requests one person may have waiting at once)", v)
				}
			}
		}
	}
	got := policyFieldsByKey(fields)
	p.requireText(n, got, "", "workspace", "the id of the Datacake workspace the tokens are for")
	p.requireText(n, got, "", "approvals_channel", "the id of the Slack channel (C…) where requests are posted for approval")
	if f, ok := got["roles"]; !ok {
		p.addf(n.Line, "roles is missing: define at least one role, like roles: {viewer: {max_duration: 8h}}")
	} else if isYAMLNull(f.value) {
		p.addf(f.line, "roles is empty: define at least one role, like viewer: {max_duration: 8h}")
	}
	return pol
}

// requireText reports a required text key that is missing or empty.
func (p *policyParser) requireText(n *yaml.Node, got map[string]policyField, where, key, what string) {
	f, ok := got[key]
	switch {
	case !ok:
		p.addf(n.Line, "%s%s is missing: set it to %s", where, key, what)
	case isYAMLNull(f.value) || (isYAMLString(f.value) && strings.TrimSpace(resolveYAMLAlias(f.value).Value) == ""):
		p.addf(f.line, "%s%s is empty: set it to %s", where, key, what)
	}
}

func (p *policyParser) location(f policyField, name string) *time.Location {
	if strings.TrimSpace(name) == "" {
		p.addf(f.line, "timezone is empty: use an IANA time zone name like Europe/Berlin, or leave it out for UTC")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		p.addf(f.value.Line, "timezone %s: unknown time zone; use an IANA name like Europe/Berlin or UTC", showPolicyValue(name))
		return time.UTC
	}
	return loc
}

func (p *policyParser) reminders(f policyField) []time.Duration {
	items, ok := p.list("", f, "a list of lead times like [24h, 1h]")
	if !ok {
		return slices.Clone(DefaultReminders)
	}
	var out []time.Duration
	for _, item := range items {
		d, ok := p.duration("", policyField{key: "reminders", line: item.Line, value: item})
		if ok && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	// The reminder job walks them longest first.
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out
}

func (p *policyParser) orphans(pol *Policy, f policyField, s string) {
	switch OrphanAction(s) {
	case OrphansDelete, OrphansReport:
		pol.Orphans = OrphanAction(s)
	default:
		valid := []string{string(OrphansDelete), string(OrphansReport)}
		p.addf(f.value.Line, "orphans %s: unknown value%s; use delete or report", showPolicyValue(s), didYouMean(s, valid))
	}
}

func (p *policyParser) schedule(s *Schedule, f policyField) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret("", f.key, n) {
			return
		}
		p.addf(f.value.Line, "schedule: want a mapping of job: cron spec, like {expire: \"@every 1m\"}, not %s", describeYAMLNode(n))
		return
	}
	for _, f := range p.fields(n, "schedule: ", policyScheduleKeys, nil, "") {
		if isYAMLNull(f.value) {
			continue
		}
		spec, ok := p.text("schedule: ", f)
		if !ok {
			continue
		}
		if strings.TrimSpace(spec) == "" {
			p.addf(f.line, "schedule: %s is empty: write a cron spec like \"@every 1m\", or leave it out for the default", f.key)
			continue
		}
		if p.checkSchedule != nil {
			if err := p.checkSchedule(spec); err != nil {
				p.addf(f.line, "schedule: %s %q is not a cron spec (%v): write it like \"@every 5m\" or \"*/5 * * * *\"", f.key, spec, err)
				continue
			}
		}
		switch f.key {
		case "expire":
			s.Expire = spec
		case "remind":
			s.Remind = spec
		case "pending":
			s.Pending = spec
		case "outbox":
			s.Outbox = spec
		case "leavers":
			s.Leavers = spec
		case "reconcile":
			s.Reconcile = spec
		}
	}
}

// roleMap walks roles:, filling pol.Roles and pol.RoleOrder in file order.
func (p *policyParser) roleMap(pol *Policy, f policyField) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && p.secret("", f.key, n) {
			return
		}
		p.addf(f.value.Line, "roles: want a mapping of role name to settings, like {viewer: {max_duration: 8h}}, not %s", describeYAMLNode(n))
		return
	}
	entries := p.entries(n, "roles: ")
	if len(entries) == 0 {
		p.addf(f.line, "roles is empty: define at least one role, like viewer: {max_duration: 8h}")
		return
	}
	for _, e := range entries {
		if msg := checkRoleName(e.key); msg != "" {
			p.addf(e.line, "%s", msg)
			continue
		}
		role := p.role(e)
		pol.Roles[role.Name] = role
		pol.RoleOrder = append(pol.RoleOrder, role.Name)
	}
}

// role walks one role's settings.
func (p *policyParser) role(e policyField) *Role {
	role := &Role{
		Name:                 e.key,
		WorkspacePermissions: []string{},
		DevicePermissions:    []string{},
		Devices:              DeviceScope{Any: true},
		Approvals:            1,
	}
	info := policyRoleInfo{role: role, line: e.line}
	defer func() { p.roles = append(p.roles, info) }()
	where := fmt.Sprintf("role %q: ", e.key)

	n := resolveYAMLAlias(e.value)
	var fields []policyField
	switch {
	case isYAMLNull(n):
		// Reported below as a missing max_duration.
	case n.Kind != yaml.MappingNode:
		if n.Kind == yaml.ScalarNode && p.secret(where, "the value", n) {
			return role
		}
		p.addf(e.value.Line, "%swant a mapping of settings, like {max_duration: 8h}, not %s", where, describeYAMLNode(n))
		return role
	default:
		fields = p.fields(n, where, policyRoleKeys, policyTopKeys, "is set for the whole policy, at the top level")
	}
	var maxLine, defaultLine, breakGlassLine, onCallLine, onCallMaxLine int
	for _, f := range fields {
		if isYAMLNull(f.value) {
			continue
		}
		switch f.key {
		case "description":
			role.Description, _ = p.text(where, f)
		case "workspace_permissions":
			role.WorkspacePermissions = p.permissions(where, f, WorkspacePermissionNames, "workspace")
		case "device_permissions":
			role.DevicePermissions = p.permissions(where, f, DevicePermissionNames, "device")
		case "devices":
			role.Devices = p.devices(where, f)
		case "max_duration":
			maxLine = f.value.Line
			role.MaxDuration, _ = p.duration(where, f)
		case "default_duration":
			defaultLine = f.value.Line
			role.DefaultDuration, _ = p.duration(where, f)
		case "approvals":
			info.approvalsLine = f.value.Line
			if v, ok := p.integer(where, f); ok {
				role.Approvals = v
				if v < 1 {
					p.addf(f.value.Line, "%sapprovals %d: must be at least 1 (use auto_approve for roles that need no approval)", where, v)
				}
			}
		case "approvers":
			var ok bool
			role.Approvers, ok = p.slackIDs(where, f)
			info.approversBad = !ok
			if ok && len(role.Approvers) == 0 && !isYAMLNull(f.value) {
				// An empty list reads as "nobody approves", yet would mean the top-level approvers.
				p.addf(f.value.Line, "%sapprovers: [] lists nobody: list who approves this role, leave approvers out to use the top-level approvers, or set auto_approve", where)
				info.approversBad = true
			}
		case "requesters":
			_, role.Requesters = p.requesters(where, f, false)
		case "auto_approve":
			role.AutoApprove, _ = p.boolean(where, f)
		case "break_glass":
			breakGlassLine = f.value.Line
			role.BreakGlass, _ = p.boolean(where, f)
		case "extend_without_approval":
			role.ExtendWithoutApproval, _ = p.boolean(where, f)
		case "on_call":
			onCallLine = f.line
			role.OnCall, onCallMaxLine = p.onCall(where, f)
		default:
			p.approvalsFlowRole(role, where, f)
		}
	}

	if maxLine == 0 {
		p.addf(e.line, "%smax_duration is missing: say how long a token may live at most, like max_duration: 7d", where)
	}
	if role.MaxDuration > 0 {
		if defaultLine == 0 {
			role.DefaultDuration = min(policyDefaultDuration, role.MaxDuration)
		} else if role.DefaultDuration > role.MaxDuration {
			p.addf(defaultLine, "%sdefault_duration %s is longer than max_duration %s", where, FormatDuration(role.DefaultDuration), FormatDuration(role.MaxDuration))
		}
	}
	p.checkOnCall(role, where, onCallLine, onCallMaxLine)
	if role.AutoApprove && role.BreakGlass {
		p.addf(breakGlassLine, "%sauto_approve and break_glass are both set: choose one (break_glass also alerts the approvers)", where)
	}
	return role
}

// devices walks a role's device scope: "any" or {tags: [...]}.
func (p *policyParser) devices(where string, f policyField) DeviceScope {
	n := resolveYAMLAlias(f.value)
	const want = "any, or {tags: [a-tag]}"
	switch n.Kind {
	case yaml.ScalarNode:
		if s, ok := p.text(where, f); ok {
			if s == "any" {
				return DeviceScope{Any: true}
			}
			p.addf(f.value.Line, "%sdevices %s: want %s", where, showPolicyValue(s), want)
		}
		return DeviceScope{Any: true}
	case yaml.MappingNode:
	default:
		if n.Kind == yaml.ScalarNode && p.secret(where, f.key, n) {
			return DeviceScope{Any: true}
		}
		p.addf(f.value.Line, "%sdevices: want %s, not %s", where, want, describeYAMLNode(n))
		return DeviceScope{Any: true}
	}
	where += "devices: "
	fields := p.fields(n, where, policyDevicesKeys, nil, "")
	var scope DeviceScope
	tagsLine := 0
	for _, f := range fields {
		if isYAMLNull(f.value) {
			continue
		}
		tagsLine = f.line
		items, ok := p.list(where, f, "a list of device tags, like [field-test]")
		if !ok {
			return DeviceScope{Any: true}
		}
		scope.Tags, _ = p.texts(where, f, items)
		if len(items) == 0 {
			p.addf(f.line, "%stags is empty: list at least one tag, or write devices: any", where)
		}
	}
	if tagsLine == 0 {
		p.addf(f.line, "%stags is missing: write devices: {tags: [a-tag]} or devices: any", where)
	}
	return scope
}

// permissions walks a list of Datacake permission names.
func (p *policyParser) permissions(where string, f policyField, valid []string, kind string) []string {
	items, ok := p.list(where, f, "a list of permission names, like ["+valid[0]+"]")
	if !ok {
		return []string{}
	}
	names, _ := p.texts(where, f, items)
	out := []string{}
	for i, name := range names {
		if !slices.Contains(valid, name) {
			p.addf(items[i].Line, "%s%s: unknown Datacake %s permission %s%s; valid: %s",
				where, f.key, kind, showPolicyValue(name), didYouMean(name, valid), strings.Join(valid, ", "))
			continue
		}
		out = append(out, name)
	}
	return out
}

// requesters walks a requesters setting: "all" or a list of users and user groups. At the
// top level an empty list would let nobody ask, so it is refused; in a role, "all" means the
// role does not narrow who may ask.
func (p *policyParser) requesters(where string, f policyField, top bool) (all bool, ids []string) {
	n := resolveYAMLAlias(f.value)
	if n.Kind == yaml.ScalarNode && n.Value == "all" && isYAMLString(n) {
		return true, nil
	}
	if n.Kind != yaml.SequenceNode {
		if n.Kind != yaml.ScalarNode || !p.secret(where, f.key, n) {
			p.addf(f.value.Line, "%srequesters: want all or a list of users and user groups, like [U012AB3CD, S0OPS], not %s", where, describeYAMLNode(n))
		}
		return top, nil
	}
	if len(n.Content) == 0 {
		if top {
			p.addf(f.line, "%srequesters is empty, so nobody could ask: write all, or list users and user groups", where)
		} else {
			p.addf(f.line, "%srequesters is empty, so nobody could ask: leave it out to let every requester ask, or list users and user groups", where)
		}
		return false, nil
	}
	for _, item := range n.Content {
		if item := resolveYAMLAlias(item); isYAMLString(item) && item.Value == "all" {
			p.addf(item.Line, "%srequesters: to let everyone ask, write requesters: all, not a list", where)
			return false, nil
		}
	}
	ids, _ = p.slackIDs(where, f)
	return false, ids
}

// slackIDs walks a list of Slack user ids (U…, W…) and user group ids (S…). ok is false when
// a problem was reported.
func (p *policyParser) slackIDs(where string, f policyField) (ids []string, ok bool) {
	items, ok := p.list(where, f, "a list of Slack user ids and user group ids, like [U012AB3CD, S0OPS]")
	if !ok {
		return nil, false
	}
	texts, ok := p.texts(where, f, items)
	for i, id := range texts {
		if msg := checkSlackID(id); msg != "" {
			p.addf(items[i].Line, "%s%s: %s", where, f.key, msg)
			ok = false
			continue
		}
		ids = append(ids, id)
	}
	return ids, ok
}

// list returns the items of a sequence, aliases resolved. want describes the list for the
// message when f is not one.
func (p *policyParser) list(where string, f policyField, want string) ([]*yaml.Node, bool) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.ScalarNode && p.secret(where, f.key, n) {
			return nil, false
		}
		hint := ""
		if n.Kind == yaml.ScalarNode && n.Value != "" {
			hint = fmt.Sprintf("; for a single entry write [%s]", n.Value)
		}
		p.addf(f.value.Line, "%s%s: want %s, not %s%s", where, f.key, want, describeYAMLNode(n), hint)
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		items[i] = resolveYAMLAlias(item)
	}
	return items, true
}

// texts returns the items of a list of text, in order, reporting empty, repeated and
// non-text entries (which it leaves out). ok is false when a problem was reported.
func (p *policyParser) texts(where string, f policyField, items []*yaml.Node) (out []string, ok bool) {
	ok = true
	var kept []*yaml.Node
	for _, item := range items {
		s, good := p.text(where, policyField{key: f.key, line: item.Line, value: item})
		if good && strings.TrimSpace(s) == "" {
			p.addf(item.Line, "%s%s: an entry is empty", where, f.key)
			good = false
		}
		if good {
			if i := slices.Index(out, s); i >= 0 {
				p.addf(item.Line, "%s%s: %s is listed twice (first at line %d)", where, f.key, showPolicyValue(s), kept[i].Line)
				good = false
			}
		}
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		kept = append(kept, item)
	}
	return out, ok
}

// text returns a string value. Numbers, booleans and dates are refused rather than turned
// into text, so that a value YAML read differently from how it looks is caught here.
func (p *policyParser) text(where string, f policyField) (string, bool) {
	n := resolveYAMLAlias(f.value)
	if n.Kind == yaml.ScalarNode && p.secret(where, f.key, n) {
		return "", false
	}
	if !isYAMLString(n) {
		hint := ""
		if n.Kind == yaml.ScalarNode && !isYAMLNull(n) {
			hint = "; put it in quotes if you mean the text"
		}
		p.addf(f.value.Line, "%s%s: want text, not %s%s", where, f.key, describeYAMLNode(n), hint)
		return "", false
	}
	return n.Value, true
}

func (p *policyParser) boolean(where string, f policyField) (bool, bool) {
	n := resolveYAMLAlias(f.value)
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		if n.Kind != yaml.ScalarNode || !p.secret(where, f.key, n) {
			p.addf(f.value.Line, "%s%s: want true or false, not %s", where, f.key, describeYAMLNode(n))
		}
		return false, false
	}
	return b, true
}

func (p *policyParser) integer(where string, f policyField) (int, bool) {
	n := resolveYAMLAlias(f.value)
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		if n.Kind != yaml.ScalarNode || !p.secret(where, f.key, n) {
			p.addf(f.value.Line, "%s%s: want a whole number like 2, not %s", where, f.key, describeYAMLNode(n))
		}
		return 0, false
	}
	return v, true
}

// duration returns a positive duration written like 90s, 45m, 8h or 7d.
func (p *policyParser) duration(where string, f policyField) (time.Duration, bool) {
	n := resolveYAMLAlias(f.value)
	if n.Kind != yaml.ScalarNode || isYAMLNull(n) {
		p.addf(f.value.Line, "%s%s: want a duration like 8h or 7d, not %s", where, f.key, describeYAMLNode(n))
		return 0, false
	}
	if p.secret(where, f.key, n) {
		return 0, false
	}
	d, err := ParseDuration(n.Value)
	if err != nil {
		p.addf(f.value.Line, "%s%s %s: %s", where, f.key, showPolicyValue(n.Value), durationHint(err))
		return 0, false
	}
	if d <= 0 {
		p.addf(f.value.Line, "%s%s %s: must be longer than 0", where, f.key, showPolicyValue(n.Value))
		return 0, false
	}
	return d, true
}

// secret reports a scalar that looks like a Slack token, without repeating it.
func (p *policyParser) secret(where, key string, n *yaml.Node) bool {
	if !looksLikeSlackToken(n.Value) {
		return false
	}
	p.addf(n.Line, "%s%s looks like a Slack token: secrets never belong in the policy file; "+
		"pass tokens in the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN), remove it from here, and rotate it", where, key)
	return true
}

// entries returns the pairs of mapping n in file order, reporting keys that are repeated,
// not plain names, or secrets; those are left out.
func (p *policyParser) entries(n *yaml.Node, where string) []policyField {
	var out []policyField
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveYAMLAlias(n.Content[i]), n.Content[i+1]
		line := n.Content[i].Line
		switch {
		case k.Kind != yaml.ScalarNode:
			p.addf(line, "%sa key must be a plain name, not %s", where, describeYAMLNode(k))
			continue
		case k.ShortTag() == "!!merge":
			p.addf(line, "%smerge keys (<<) are not supported: write the settings out", where)
			continue
		case p.secret(where, "a key", k):
			continue
		case k.Value == "" || isYAMLNull(k):
			p.addf(line, "%sa key is empty", where)
			continue
		}
		if at, dup := first[k.Value]; dup {
			p.addf(line, "%sduplicate key %q (first at line %d)", where, k.Value, at)
			continue
		}
		first[k.Value] = line
		out = append(out, policyField{key: k.Value, line: line, value: v})
	}
	return out
}

// fields returns the entries of mapping n whose keys are known, reporting the others.
// A key that belongs in elsewhere gets elsewhereHint instead of a spelling suggestion.
func (p *policyParser) fields(n *yaml.Node, where string, known, elsewhere []string, elsewhereHint string) []policyField {
	var out []policyField
	for _, e := range p.entries(n, where) {
		if slices.Contains(known, e.key) {
			out = append(out, e)
			continue
		}
		switch {
		case slices.Contains(elsewhere, e.key):
			p.addf(e.line, "%sunknown key %q: %s %s", where, e.key, e.key, elsewhereHint)
		case nearest(e.key, known) != "":
			p.addf(e.line, "%sunknown key %q; did you mean %q?", where, e.key, nearest(e.key, known))
		default:
			p.addf(e.line, "%sunknown key %q; known keys: %s", where, e.key, strings.Join(known, ", "))
		}
		p.secretsUnder(where, e.key, e.value)
	}
	return out
}

// secretsUnder reports tokens anywhere below an unknown key, whose value is otherwise not read.
func (p *policyParser) secretsUnder(where, key string, n *yaml.Node) {
	if n == nil || n.Kind == yaml.AliasNode {
		return // reported where the anchor is, if it is read
	}
	if n.Kind == yaml.ScalarNode {
		p.secret(where, key, n)
		return
	}
	for _, c := range n.Content {
		p.secretsUnder(where, key, c)
	}
}

func policyFieldsByKey(fields []policyField) map[string]policyField {
	m := make(map[string]policyField, len(fields))
	for _, f := range fields {
		m[f.key] = f
	}
	return m
}

// resolveYAMLAlias follows *alias references to the anchored node.
func resolveYAMLAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isYAMLNull(n *yaml.Node) bool {
	n = resolveYAMLAlias(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isYAMLString(n *yaml.Node) bool {
	n = resolveYAMLAlias(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// describeYAMLNode names what a node holds, for "want X, not Y" messages.
func describeYAMLNode(n *yaml.Node) string {
	n = resolveYAMLAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return "text " + showPolicyValue(n.Value)
	case "!!int", "!!float":
		return "the number " + showPolicyValue(n.Value)
	case "!!bool":
		return showPolicyValue(n.Value)
	case "!!timestamp":
		return "the date " + showPolicyValue(n.Value)
	}
	return showPolicyValue(n.Value)
}
