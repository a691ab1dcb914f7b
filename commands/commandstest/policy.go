package commandstest

import (
	"time"

	"github.com/cakegate/cakegate/commands"
)

// The people and groups of Policy.
const (
	Ann   = "UANN"   // approver
	Bob   = "UBOB"   // approver
	Carol = "UCAROL" // requester
	Dave  = "UDAVE"  // requester, in the ops group SOPS
	Eve   = "UEVE"   // not a requester
)

// Installation is the installation id of the test database.
const Installation = "k3f9q2"

// Start is when tests begin: the clock's first reading.
var Start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// Policy is a policy with a role for each kind of rule: viewer (any device, one approval),
// device-editor (two approvals, a group among its approvers), field (tagged devices only),
// auto (auto-approved) and ops-only (requested by a group only); templates field-check (field
// on tag field-test for 4h) and ops-look (viewer on SN2, for SOPS only). Each call returns a
// new one.
func Policy() *commands.Policy {
	return &commands.Policy{
		Workspace:        "ws-1",
		ApprovalsChannel: "CAPPROVALS",
		Approvers:        []string{Ann, Bob},
		Requesters:       []string{Carol, Dave, Ann, Bob, "SREQ"},
		Location:         time.UTC,
		Reminders:        []time.Duration{24 * time.Hour, time.Hour},
		PendingTimeout:   48 * time.Hour,
		RoleOrder:        []string{"viewer", "device-editor", "field", "auto", "ops-only"},
		Roles: map[string]*commands.Role{
			"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true},
				MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1},
			"device-editor": {Name: "device-editor", WorkspacePermissions: []string{"devices"},
				DevicePermissions: []string{"edit_basics", "record_measurements"}, Devices: commands.DeviceScope{Any: true},
				MaxDuration: 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 2, Approvers: []string{Ann, Bob, "SOPS"}},
			"field": {Name: "field", Devices: commands.DeviceScope{Tags: []string{"field-test"}},
				MaxDuration: 24 * time.Hour, DefaultDuration: time.Hour, Approvals: 1},
			"auto": {Name: "auto", Devices: commands.DeviceScope{Any: true}, MaxDuration: 48 * time.Hour,
				DefaultDuration: time.Hour, Approvals: 1, AutoApprove: true},
			"ops-only": {Name: "ops-only", Devices: commands.DeviceScope{Any: true}, MaxDuration: time.Hour,
				DefaultDuration: time.Hour, Approvals: 1, Requesters: []string{"SOPS"}},
		},
		TemplateOrder: []string{"field-check", "ops-look"},
		Templates: map[string]*commands.Template{
			"field-check": {Name: "field-check", Role: "field", Devices: []string{"tag:field-test"},
				Duration: 4 * time.Hour, ReasonHint: "Name the test run, like FT-12."},
			"ops-look": {Name: "ops-look", Role: "viewer", Devices: []string{"SN2"}, Requesters: []string{"SOPS"}},
		},
		Orphans:      commands.OrphansDelete,
		OrphansBrake: commands.DefaultOrphansBrake,
		RevealWithin: commands.DefaultRevealWithin,
		MaxReissues:  commands.DefaultMaxReissues,
	}
}

// PolicyDevices are Policy's workspace's devices: SN1 and SN3 tagged field-test, SN2 and SN3 lab.
func PolicyDevices() Devices {
	return Devices{
		{ID: "dev-1", Name: "Boiler", Serial: "SN1", Tags: []string{"field-test"}},
		{ID: "dev-2", Name: "Freezer", Serial: "SN2", Tags: []string{"lab"}},
		{ID: "dev-3", Name: "Door", Serial: "SN3", Tags: []string{"field-test", "lab"}},
	}
}

// PolicyGroups is Policy's user groups: SOPS holds Dave.
func PolicyGroups() Groups { return Groups{"SOPS": {Dave}, "SREQ": {Eve + "-in-group"}} }
