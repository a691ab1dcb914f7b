package commands_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zoneinfo database

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
)

// policyLocationsEqual compares time zones by name: LoadLocation returns a new value each time.
var policyLocationsEqual = cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })

// policyPatternsEqual compares regular expressions by their source.
var policyPatternsEqual = cmp.Comparer(func(a, b *regexp.Regexp) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.String() == b.String()
})

func TestLoadPolicyFull(t *testing.T) {
	got, err := commands.LoadPolicy(filepath.Join("testdata", "policy", "full.yaml"))
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	want := &commands.Policy{
		Workspace:         "6a1c0f2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
		ApprovalsChannel:  "C0123456789",
		Approvers:         []string{"U012AB3CD", "S0OPS"},
		Requesters:        []string{"U012AB3CD", "U0ALICE", "S0FIELD"},
		AllowSelfApproval: true,
		Location:          berlin,
		Reminders:         []time.Duration{24 * time.Hour, time.Hour, 30 * time.Minute},
		PendingTimeout:    48 * time.Hour,
		Roles: map[string]*commands.Role{
			"viewer": {
				Name:                 "viewer",
				Description:          "See chosen devices and their data",
				WorkspacePermissions: []string{},
				DevicePermissions:    []string{},
				Devices:              commands.DeviceScope{Any: true},
				MaxDuration:          7 * 24 * time.Hour,
				DefaultDuration:      8 * time.Hour,
				Approvals:            1,
			},
			"device-editor": {
				Name:                  "device-editor",
				Description:           "Edit devices in the field",
				WorkspacePermissions:  []string{"devices"},
				DevicePermissions:     []string{"edit_basics", "record_measurements"},
				Devices:               commands.DeviceScope{Tags: []string{"field-test", "lab"}},
				MaxDuration:           24 * time.Hour,
				DefaultDuration:       8 * time.Hour,
				Approvals:             2,
				Approvers:             []string{"S0OPS"},
				Requesters:            []string{"U0ALICE", "S0FIELD"},
				ExtendWithoutApproval: true,
				ApprovalsChannel:      "C0FIELDOPS",
				EscalateAfter:         30 * time.Minute,
				EscalateTo:            []string{"U0LEAD"},
				NotifyApprovers:       commands.NotifyDM,
				Reason: commands.ReasonRule{
					MinLength: 10,
					Pattern:   regexp.MustCompile(`^[A-Z]+-[0-9]+`),
					Hint:      "Start with the ticket id, like OPS-123.",
				},
			},
			"oncall_1": {
				Name:                 "oncall_1",
				WorkspacePermissions: []string{"devices", "rules", "dashboards"},
				DevicePermissions:    []string{},
				Devices:              commands.DeviceScope{Any: true},
				MaxDuration:          4 * time.Hour,
				DefaultDuration:      4 * time.Hour,
				Approvals:            1,
				BreakGlass:           true,
			},
			"ci": {
				Name:                 "ci",
				WorkspacePermissions: []string{"exports"},
				DevicePermissions:    []string{},
				Devices:              commands.DeviceScope{Any: true},
				MaxDuration:          36 * time.Hour,
				DefaultDuration:      90 * time.Minute,
				Approvals:            1,
				AutoApprove:          true,
				Reason:               commands.ReasonRule{Optional: true},
			},
		},
		RoleOrder: []string{"viewer", "device-editor", "oncall_1", "ci"},
		Schedule: commands.Schedule{
			Expire:    "@every 30s",
			Remind:    "@every 10m",
			Pending:   "@hourly",
			Outbox:    "@every 5s",
			Reconcile: "0 */2 * * *",
			Leavers:   "@daily",
		},
		Orphans:         commands.OrphansReport,
		OrphansBrake:    10,
		RevealWithin:    12 * time.Hour,
		MaxLead:         commands.DefaultMaxLead,
		MaxReissues:     2,
		EscalateAfter:   2 * time.Hour,
		EscalateTo:      []string{"S0LEADS"},
		QuietHours:      commands.QuietHours{Start: 20 * time.Hour, End: 8 * time.Hour},
		NotifyApprovers: commands.NotifyBoth,
		MaxOpenRequests: 3,
	}
	if diff := cmp.Diff(want, got, policyLocationsEqual, policyPatternsEqual); diff != "" {
		t.Errorf("policy mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadPolicyMinimalDefaults(t *testing.T) {
	got, err := commands.LoadPolicy(filepath.Join("testdata", "policy", "minimal.yaml"))
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	want := &commands.Policy{
		Workspace:        "6a1c0f2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
		ApprovalsChannel: "C0123456789",
		Approvers:        []string{"U012AB3CD"},
		AllRequesters:    true,
		Location:         time.UTC,
		Reminders:        commands.DefaultReminders,
		PendingTimeout:   commands.DefaultPendingTimeout,
		Roles: map[string]*commands.Role{
			"viewer": {
				Name:                 "viewer",
				WorkspacePermissions: []string{},
				DevicePermissions:    []string{},
				Devices:              commands.DeviceScope{Any: true},
				MaxDuration:          7 * 24 * time.Hour,
				DefaultDuration:      8 * time.Hour,
				Approvals:            1,
			},
			"short": {
				Name:                 "short",
				WorkspacePermissions: []string{},
				DevicePermissions:    []string{},
				Devices:              commands.DeviceScope{Any: true},
				MaxDuration:          2 * time.Hour,
				DefaultDuration:      2 * time.Hour, // min(8h, max_duration)
				Approvals:            1,
			},
		},
		RoleOrder:       []string{"viewer", "short"},
		Schedule:        commands.DefaultSchedule,
		Orphans:         commands.OrphansDelete,
		OrphansBrake:    commands.DefaultOrphansBrake,
		MaxOpenRequests: commands.DefaultMaxOpenRequests,
		RevealWithin:    commands.DefaultRevealWithin,
		MaxLead:         commands.DefaultMaxLead,
		MaxReissues:     commands.DefaultMaxReissues,
	}
	if diff := cmp.Diff(want, got, policyLocationsEqual); diff != "" {
		t.Errorf("policy mismatch (-want +got):\n%s", diff)
	}
	if got.Location != time.UTC {
		t.Errorf("Location = %v, want time.UTC", got.Location)
	}
	got.Reminders[0] = time.Minute
	if commands.DefaultReminders[0] != 24*time.Hour {
		t.Fatal("changing a parsed policy's reminders changed DefaultReminders")
	}
}

func TestLoadPolicyAnchors(t *testing.T) {
	got, err := commands.LoadPolicy(filepath.Join("testdata", "policy", "anchors.yaml"))
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	for _, name := range []string{"editor", "auditor"} {
		if diff := cmp.Diff([]string{"devices", "rules"}, got.Roles[name].WorkspacePermissions); diff != "" {
			t.Errorf("role %s: workspace permissions (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff([]string{"U012AB3CD", "U0BOB"}, got.Roles["editor"].Approvers); diff != "" {
		t.Errorf("editor approvers (-want +got):\n%s", diff)
	}
}

func TestLoadPolicyMissingFile(t *testing.T) {
	_, err := commands.LoadPolicy(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want an error wrapping fs.ErrNotExist", err)
	}
}

// TestParsePolicyAccepts holds files that are valid although they look close to an error.
func TestParsePolicyAccepts(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, p *commands.Policy)
	}{
		{
			name: "ApprovalsCountedAgainstGroup",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1, S2]
roles:
  viewer: {max_duration: 7d, approvals: 5}
`,
			check: func(t *testing.T, p *commands.Policy) {
				if p.Roles["viewer"].Approvals != 5 {
					t.Errorf("Approvals = %d, want 5", p.Roles["viewer"].Approvals)
				}
			},
		},
		{
			name: "AutoApproveAndBreakGlassNeedNoApprovers",
			yaml: `workspace: w1
approvals_channel: C1
roles:
  ci: {max_duration: 1h, auto_approve: true}
  oncall: {max_duration: 1h, break_glass: true}
`,
		},
		{
			name: "ApproversOnlyInRoles",
			yaml: `workspace: w1
approvals_channel: C1
roles:
  viewer: {max_duration: 1h, approvers: [W1ENTERPRISE]}
`,
		},
		{
			name: "ApproversAfterRoles",
			yaml: `workspace: w1
approvals_channel: C1
roles:
  viewer: {max_duration: 1h, approvals: 2}
approvers: [U1, U2]
`,
		},
		{
			name: "EmptyRemindersMeansNone",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
reminders: []
roles:
  viewer: {max_duration: 1h}
`,
			check: func(t *testing.T, p *commands.Policy) {
				if len(p.Reminders) != 0 {
					t.Errorf("Reminders = %v, want none", p.Reminders)
				}
			},
		},
		{
			name: "NullMeansDefault",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
timezone:
schedule:
  expire: ~
roles:
  viewer:
    max_duration: 1h
    description:
`,
			check: func(t *testing.T, p *commands.Policy) {
				if p.Location != time.UTC || p.Schedule != commands.DefaultSchedule {
					t.Errorf("Location %v, Schedule %+v: want the defaults", p.Location, p.Schedule)
				}
			},
		},
		{
			name: "DefaultEqualsMax",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 24h, default_duration: 1d}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := commands.ParsePolicy("test.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParsePolicy:\n%v", err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		want string // a substring of the problem on line
		more bool   // other problems are expected as well
	}{
		{
			name: "ExampleMessage",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7x
`,
			line: 6, want: `role "viewer": max_duration 7x: write it like 90s, 45m, 8h or 7d`,
		},
		{
			name: "UnknownKeySuggestion",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
timezon: Europe/Berlin
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `unknown key "timezon"; did you mean "timezone"?`,
		},
		{
			name: "UnknownKeyListsKnownKeys",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
colour: blue
`,
			line: 6, want: `unknown key "colour"; known keys: workspace, approvals_channel,`,
		},
		{
			name: "UnknownRoleKey",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    aprovals: 2
`,
			line: 7, want: `role "viewer": unknown key "aprovals"; did you mean "approvals"?`,
		},
		{
			name: "RoleKeyAtTopLevel",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
max_duration: 7d
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `unknown key "max_duration": max_duration is a role setting: put it under roles: NAME:`,
		},
		{
			name: "TopLevelKeyInRole",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    timezone: UTC
`,
			line: 7, want: `role "viewer": unknown key "timezone": timezone is set for the whole policy`,
		},
		{
			name: "TabIndent",
			yaml: "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n\tviewer: {max_duration: 7d}\n",
			line: 5, want: `indented with a tab: YAML indents with spaces only`,
		},
		{
			name: "RoleApproversEmptyList",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    approvers: []
`,
			line: 7, want: `role "viewer": approvers: [] lists nobody: list who approves this role, leave approvers out to use the top-level approvers, or set auto_approve`,
		},
		{
			name: "UnknownScheduleJob",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
schedule:
  expires: "@every 1m"
`,
			line: 7, want: `schedule: unknown key "expires"; did you mean "expire"?`,
		},
		{
			name: "DuplicateKey",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
approvers: [U2]
`,
			line: 6, want: `duplicate key "approvers" (first at line 3)`,
		},
		{
			name: "DuplicateRole",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
  viewer: {max_duration: 1d}
`,
			line: 6, want: `roles: duplicate key "viewer" (first at line 5)`,
		},
		{
			name: "DuplicateListEntry",
			yaml: `workspace: w1
approvals_channel: C1
approvers:
  - U1
  - U1
roles:
  viewer: {max_duration: 7d}
`,
			line: 5, want: `approvers: U1 is listed twice (first at line 4)`,
		},
		{
			name: "ZeroDuration",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 0s}
`,
			line: 5, want: `role "viewer": max_duration 0s: must be longer than 0`,
		},
		{
			name: "NegativeDuration",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
pending_timeout: -1h
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `pending_timeout -1h: write it without a sign`,
		},
		{
			name: "DurationNotScalar",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: [7d]}
`,
			line: 5, want: `role "viewer": max_duration: want a duration like 8h or 7d, not a list`,
		},
		{
			name: "ReminderNotPositive",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
reminders: [24h, 0s]
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `reminders 0s: must be longer than 0`,
		},
		{
			name: "StringWhereListExpected",
			yaml: `workspace: w1
approvals_channel: C1
approvers: U1
roles:
  viewer: {max_duration: 7d}
`,
			line: 3, want: `approvers: want a list of Slack user ids and user group ids, like [U012AB3CD, S0OPS], not text U1; for a single entry write [U1]`,
		},
		{
			name: "RemindersNotList",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
reminders: 24h
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `reminders: want a list of lead times like [24h, 1h], not text 24h`,
		},
		{
			name: "MappingWhereTextExpected",
			yaml: `workspace: {id: w1}
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 1, want: `workspace: want text, not a mapping`,
		},
		{
			name: "NumberWhereTextExpected",
			yaml: `workspace: w1
approvals_channel: 12345
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `approvals_channel: want text, not the number 12345; put it in quotes`,
		},
		{
			name: "BoolNotBool",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    auto_approve: yes
`,
			line: 7, want: `role "viewer": auto_approve: want true or false, not text yes`,
		},
		{
			name: "UnknownWorkspacePermission",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    workspace_permissions: [rules, device]
    max_duration: 7d
`,
			line: 6, want: `role "viewer": workspace_permissions: unknown Datacake workspace permission device (did you mean "devices"?); valid: basics, members, billing, devices,`,
		},
		{
			name: "UnknownDevicePermission",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    device_permissions: [edit]
`,
			line: 7, want: `device_permissions: unknown Datacake device permission edit; valid: edit_basics, edit_product, record_measurements`,
		},
		{
			name: "MaxBelowDefault",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 4h
    default_duration: 8h
`,
			line: 7, want: `role "viewer": default_duration 8h is longer than max_duration 4h`,
		},
		{
			name: "MissingMaxDuration",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    description: no limit
`,
			line: 5, want: `role "viewer": max_duration is missing`,
		},
		{
			name: "MissingWorkspace",
			yaml: `approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 1, want: `workspace is missing`,
		},
		{
			name: "MissingApprovalsChannel",
			yaml: `# cakegate
workspace: w1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `approvals_channel is missing: set it to the id of the Slack channel`,
		},
		{
			name: "ApprovalsChannelName",
			yaml: `workspace: w1
approvals_channel: "#cakegate-approvals"
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `approvals_channel: "#cakegate-approvals" is not a Slack channel id (C…); a channel name will not do: open the channel, click its name, and copy the Channel ID`,
		},
		{
			name: "ApprovalsChannelLowerCase",
			yaml: `workspace: w1
approvals_channel: c0123abc
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `Slack ids are upper case, like C0123ABC`,
		},
		{
			name: "ApprovalsChannelMention",
			yaml: `workspace: w1
approvals_channel: "<#C0123|approvals>"
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `write the bare id, without <# >`,
		},
		{
			name: "EmptyApprovalsChannel",
			yaml: `workspace: w1
approvals_channel: ""
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `approvals_channel is empty`,
		},
		{
			name: "NullApprovalsChannel",
			yaml: `workspace: w1
approvals_channel:
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`,
			line: 2, want: `approvals_channel is empty`,
		},
		{
			name: "NoRoles",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
`,
			line: 1, want: `roles is missing`,
		},
		{
			name: "EmptyRoles",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles: {}
`,
			line: 4, want: `roles is empty`,
		},
		{
			name: "RolesNotMapping",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles: [viewer]
`,
			line: 4, want: `roles: want a mapping of role name to settings`,
		},
		{
			name: "RoleNotMapping",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: 7d
`,
			line: 5, want: `role "viewer": want a mapping of settings, like {max_duration: 8h}, not text 7d`,
		},
		{
			name: "BadRoleName",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  Viewer: {max_duration: 7d}
`,
			line: 5, want: `role name "Viewer": use only lowercase letters, digits, - and _, like "viewer"`,
		},
		{
			name: "ApprovalsZero",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    approvals: 0
`,
			line: 7, want: `role "viewer": approvals 0: must be at least 1`,
		},
		{
			name: "ApprovalsNotNumber",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d, approvals: two}
`,
			line: 5, want: `role "viewer": approvals: want a whole number like 2, not text two`,
		},
		{
			name: "ApprovalsMoreThanApprovers",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1, W2]
roles:
  viewer:
    max_duration: 7d
    approvals: 3
`,
			line: 7, want: `role "viewer": approvals 3: more than the 2 approvers listed (U1, W2)`,
		},
		{
			name: "ApprovalsMoreThanRoleApprovers",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [S1, U2, U3]
roles:
  viewer:
    max_duration: 7d
    approvals: 2
    approvers: [U4]
`,
			line: 7, want: `approvals 2: more than the 1 approvers listed (U4)`,
		},
		{
			name: "NoApprovers",
			yaml: `workspace: w1
approvals_channel: C1
roles:
  ci: {max_duration: 1h, auto_approve: true}
  viewer:
    max_duration: 7d
`,
			line: 5, want: `role "viewer": no approvers: list approvers in the role or at the top level, or set auto_approve`,
		},
		{
			name: "ApproverNotSlackID",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1, alice]
roles:
  viewer: {max_duration: 7d}
`,
			line: 3, want: `approvers: alice is not a Slack user id (U…, W…) or user group id (S…)`,
		},
		{
			name: "ApproverLowerCase",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [u012ab3cd]
roles:
  viewer: {max_duration: 7d}
`,
			line: 3, want: `Slack ids are upper case, like U012AB3CD`,
		},
		{
			name: "RequesterIsChannel",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    requesters: [C0123]
`,
			line: 7, want: `role "viewer": requesters: C0123 is not a Slack user id (U…, W…) or user group id (S…); it looks like a channel`,
		},
		{
			name: "RequestersNotAll",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
requesters: everyone
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `requesters: want all or a list of users and user groups, like [U012AB3CD, S0OPS], not text everyone`,
		},
		{
			name: "RequestersAllInList",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
requesters: [all]
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `requesters: to let everyone ask, write requesters: all, not a list`,
		},
		{
			name: "RequestersEmpty",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
requesters: []
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `requesters is empty, so nobody could ask`,
		},
		{
			name: "UnknownOrphans",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
orphans: delet
`,
			line: 6, want: `orphans delet: unknown value (did you mean "delete"?); use delete or report`,
		},
		{
			name: "NegativeOrphansBrake",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
orphans_brake: -1
`,
			line: 6, want: `orphans_brake -1: must be 0 or more`,
		},
		{
			name: "BadTimezone",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
timezone: Mars/Olympus
roles:
  viewer: {max_duration: 7d}
`,
			line: 4, want: `timezone Mars/Olympus: unknown time zone`,
		},
		{
			name: "ScheduleNotText",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
schedule:
  expire: 5
`,
			line: 7, want: `schedule: expire: want text, not the number 5`,
		},
		{
			name: "ScheduleEmpty",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
schedule:
  outbox: " "
`,
			line: 7, want: `schedule: outbox is empty`,
		},
		{
			name: "DevicesNotAny",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    devices: all
`,
			line: 7, want: `role "viewer": devices all: want any, or {tags: [a-tag]}`,
		},
		{
			name: "DevicesNoTags",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    devices: {tags: []}
`,
			line: 7, want: `role "viewer": devices: tags is empty`,
		},
		{
			name: "AutoApproveAndBreakGlass",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer:
    max_duration: 7d
    auto_approve: true
    break_glass: true
`,
			line: 8, want: `auto_approve and break_glass are both set`,
		},
		{
			name: "SlackToken",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
slack_token: xoxb-1234-5678-abcdefgh
`,
			line: 6, want: `slack_token looks like a Slack token: secrets never belong in the policy file`, more: true,
		},
		{
			name: "MergeKey",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
base: &base {max_duration: 7d}
roles:
  viewer:
    <<: *base
`,
			line: 7, want: `role "viewer": merge keys (<<) are not supported`, more: true,
		},
		{
			name: "NotAMapping",
			yaml: `- workspace: w1
`,
			line: 1, want: `the policy file must be a mapping of settings`,
		},
		{
			name: "EmptyFile",
			yaml: "",
			line: 1, want: `the policy file is empty`,
		},
		{
			name: "OnlyComments",
			yaml: "# nothing yet\n\n",
			line: 1, want: `the policy file is empty`,
		},
		{
			name: "InvalidYAML",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1
roles:
  viewer: {max_duration: 7d}
`,
			line: 3, want: `not valid YAML: did not find expected ',' or ']'`,
		},
		{
			name: "BadMappingOnFirstLine",
			yaml: "workspace: w1: x\n",
			line: 1, want: `not valid YAML: mapping values are not allowed in this context`,
		},
		{
			name: "BlockMappingWithoutKey",
			yaml: `workspace: w1
approvals_channel: C1
roles:
  viewer:
    max_duration: 7d
  - oops
`,
			line: 4, want: `not valid YAML: did not find expected key`,
		},
		{
			name: "UnknownAnchor",
			yaml: `workspace: w1
approvals_channel: C1
approvers: *ops
`,
			line: 3, want: `not valid YAML: unknown anchor 'ops' referenced`,
		},
		{
			name: "TabIndentOnFirstLine",
			yaml: "\tworkspace: w1\n",
			line: 1, want: `indented with a tab: YAML indents with spaces only`,
		},
		{
			name: "TwoDocuments",
			yaml: `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
---
orphans: report
`,
			line: 6, want: `a second YAML document`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := commands.ParsePolicy("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParsePolicy accepted the file: %+v", p)
			}
			if p != nil {
				t.Errorf("ParsePolicy returned a policy with the error %v", err)
			}
			var perr *commands.PolicyError
			if !errors.As(err, &perr) {
				t.Fatalf("got %T %v, want a *commands.PolicyError", err, err)
			}
			if perr.File != "test.yaml" {
				t.Errorf("File = %q, want test.yaml", perr.File)
			}
			found := false
			for _, pr := range perr.Problems {
				found = found || (pr.Line == tt.line && strings.Contains(pr.Message, tt.want))
			}
			if !found {
				t.Errorf("no problem on line %d containing\n\t%s\ngot:\n%v", tt.line, tt.want, err)
			}
			if !tt.more && len(perr.Problems) != 1 {
				t.Errorf("got %d problems, want 1:\n%v", len(perr.Problems), err)
			}
			wantPrefix := "test.yaml:" + strconv.Itoa(tt.line) + ": "
			if !strings.Contains(err.Error(), wantPrefix) {
				t.Errorf("error does not name file and line %q:\n%v", wantPrefix, err)
			}
		})
	}
}

// TestParsePolicyReportsAllProblems checks that every problem is reported at once, in file
// order, one per line of the error.
func TestParsePolicyReportsAllProblems(t *testing.T) {
	path := filepath.Join("testdata", "policy", "broken.yaml")
	_, err := commands.LoadPolicy(path)
	var perr *commands.PolicyError
	if !errors.As(err, &perr) {
		t.Fatalf("got %T %v, want a *commands.PolicyError", err, err)
	}
	want := []commands.PolicyProblem{
		{Line: 1, Message: "approvals_channel is missing: set it to the id of the Slack channel (C…) where requests are posted for approval"},
		{Line: 2, Message: `unknown key "aprovals_channel"; did you mean "approvals_channel"?`},
		{Line: 3, Message: "approvers: alice is not a Slack user id (U…, W…) or user group id (S…); names will not do: copy the member id from the person's Slack profile"},
		{Line: 4, Message: "timezone Mars/Olympus: unknown time zone; use an IANA name like Europe/Berlin or UTC"},
		{Line: 7, Message: `role "viewer": max_duration 7x: write it like 90s, 45m, 8h or 7d`},
		{Line: 8, Message: `roles: role name "Editor": use only lowercase letters, digits, - and _, like "editor"`},
		{Line: 11, Message: `role "deployer": workspace_permissions: unknown Datacake workspace permission device (did you mean "devices"?); valid: basics, members, billing, devices, rules, cakered, whitelabel, gateways, reports, dashboards, zones, exports`},
		{Line: 13, Message: `role "deployer": default_duration 8h is longer than max_duration 4h`},
		{Line: 15, Message: `orphans keep: unknown value; use delete or report`},
	}
	if diff := cmp.Diff(want, perr.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("error has %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if wantLine := path + ":" + strconv.Itoa(w.Line) + ": " + w.Message; lines[i] != wantLine {
			t.Errorf("line %d of the error:\ngot  %s\nwant %s", i+1, lines[i], wantLine)
		}
	}
}

// TestParsePolicyChecksScheduleSpecs: with a schedule check, a bad spec is one more
// problem with its line, reported together with the file's other problems.
func TestParsePolicyChecksScheduleSpecs(t *testing.T) {
	data := []byte(`workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7x}
schedule:
  expire: "every minute"
  remind: "@every 5m"
`)
	check := func(spec string) error {
		if !strings.HasPrefix(spec, "@every ") {
			return errors.New("not understood")
		}
		return nil
	}
	_, err := commands.ParsePolicy("test.yaml", data, commands.WithScheduleCheck(check))
	var perr *commands.PolicyError
	if !errors.As(err, &perr) {
		t.Fatalf("got %T %v, want a *commands.PolicyError", err, err)
	}
	want := []commands.PolicyProblem{
		{Line: 5, Message: `role "viewer": max_duration 7x: write it like 90s, 45m, 8h or 7d`},
		{Line: 7, Message: `schedule: expire "every minute" is not a cron spec (not understood): write it like "@every 5m" or "*/5 * * * *"`},
	}
	if diff := cmp.Diff(want, perr.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestPolicyErrorWithoutLine(t *testing.T) {
	err := &commands.PolicyError{File: "cakegate.yaml", Problems: []commands.PolicyProblem{
		{Message: "somewhere"},
		{Line: 3, Message: "here"},
	}}
	if got, want := err.Error(), "cakegate.yaml: somewhere\ncakegate.yaml:3: here"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestParsePolicyNeverRepeatsSecrets puts a Slack token wherever a value can go and checks
// that the error says what it is without showing it.
func TestParsePolicyNeverRepeatsSecrets(t *testing.T) {
	const token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
	const valid = `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  viewer: {max_duration: 7d}
`
	places := map[string]string{
		"Channel":        "workspace: w1\napprovals_channel: TOKEN\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d}\n",
		"Workspace":      "workspace: TOKEN\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d}\n",
		"Approver":       "workspace: w1\napprovals_channel: C1\napprovers: [U1, TOKEN]\nroles:\n  viewer: {max_duration: 7d}\n",
		"ApproversValue": "workspace: w1\napprovals_channel: C1\napprovers: TOKEN\nroles:\n  viewer: {max_duration: 7d}\n",
		"Description":    "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d, description: \"token TOKEN\"}\n",
		"Duration":       "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: TOKEN}\n",
		"Approvals":      "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d, approvals: TOKEN}\n",
		"Flag":           "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d, auto_approve: TOKEN}\n",
		"Roles":          "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles: TOKEN\n",
		"RoleName":       "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  TOKEN: {max_duration: 7d}\n",
		"Key":            valid + "TOKEN: yes\n",
		"UnknownKey":     valid + "slack:\n  bot_token: TOKEN\n",
		"Schedule":       valid + "schedule: {expire: TOKEN}\n",
		"Orphans":        valid + "orphans: TOKEN\n",
		"Timezone":       valid + "timezone: TOKEN\n",
		"Devices":        "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d, devices: TOKEN}\n",
		"Tags":           "workspace: w1\napprovals_channel: C1\napprovers: [U1]\nroles:\n  viewer: {max_duration: 7d, devices: {tags: [TOKEN]}}\n",
		"AppToken":       valid + "orphans: xapp-1-A0-123-abc\n",
	}
	for name, doc := range places {
		t.Run(name, func(t *testing.T) {
			doc = strings.ReplaceAll(doc, "TOKEN", token)
			_, err := commands.ParsePolicy("test.yaml", []byte(doc))
			if err == nil {
				t.Fatal("ParsePolicy accepted a Slack token")
			}
			msg := err.Error()
			if !strings.Contains(msg, "looks like a Slack token") {
				t.Errorf("error does not say a token was found:\n%s", msg)
			}
			for _, part := range []string{token, "1234567890", "AbCdEf", "A0-123-abc"} {
				if strings.Contains(msg, part) {
					t.Errorf("error repeats the token (%q):\n%s", part, msg)
				}
			}
		})
	}
}
