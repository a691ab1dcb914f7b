package simulation

import (
	"fmt"
	"strings"
)

// The simulated team. Requesters ask; ann and bob approve every role but contractor,
// which only erin approves; carol approves only the contractor requests escalated to her.
const (
	alice = "U0ALICE"
	dan   = "U0DAN"
	ann   = "U0ANN"
	bob   = "U0BOB"
	carol = "U0CAROL"
	erin  = "U0ERIN"

	approvalsChannel = "C0APPROVALS"
	generalChannel   = "C0GENERAL" // where people talk, and sometimes paste a token
	workspace        = "5f0c2a9e-7d1b-4c3e-9a8f-2b6d4e1c0a7f"
	ownerToken       = "dc-owner-token-simulation"
	signingSecret    = "simulation-signing-secret"
)

var (
	people     = []string{alice, dan, ann, bob, carol, erin}
	requesters = []string{alice, dan, carol, ann}
	serials    = []string{"SN-1001", "SN-1002", "SN-1003"}
)

// policyText is one of the policies the simulated operator switches between at restarts.
// Variant 1 removes the contractor role; variant 2 asks one approval instead of two for
// device-editor and shortens viewer's maximum. contractor's approver is asked by direct
// message only, and a contractor request undecided for 4 hours is escalated (DMs, then carol
// brought in).
func policyText(variant int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `workspace: %s
approvals_channel: %s
approvers: [%s, %s]
requesters: all
timezone: Europe/Berlin
reminders: [24h, 1h]
pending_timeout: 48h
schedule:
  expire: "@every 1m"
  remind: "@every 5m"
  pending: "@every 5m"
  outbox: "@every 1m"
  reconcile: "@every 15m"
roles:
`, workspace, approvalsChannel, ann, bob)
	viewerMax, editorApprovals := "7d", 2
	if variant == 2 {
		viewerMax, editorApprovals = "2d", 1
	}
	fmt.Fprintf(&b, `  viewer:
    description: See chosen devices
    workspace_permissions: []
    device_permissions: []
    devices: any
    max_duration: %s
    default_duration: 8h
  device-editor:
    description: Edit devices
    workspace_permissions: [devices]
    device_permissions: [edit_basics, record_measurements]
    max_duration: 24h
    default_duration: 4h
    approvals: %d
`, viewerMax, editorApprovals)
	if variant != 1 {
		fmt.Fprintf(&b, `  contractor:
    description: Short visits by contractors
    workspace_permissions: [devices]
    device_permissions: [edit_basics]
    max_duration: 8h
    default_duration: 2h
    approvers: [%s]
    notify_approvers: dm
    escalate_after: 4h
    escalate_to: [%s]
`, erin, carol)
	}
	return b.String()
}

// policyApprovers says, per variant, whether a role exists and who approves it (besides
// those a request was escalated to: Request.Escalation.To).
func policyApprovers(variant int, role string) ([]string, bool) {
	switch role {
	case "viewer", "device-editor":
		return []string{ann, bob}, true
	case "contractor":
		return []string{erin}, variant != 1
	}
	return nil, false
}

// policyEscalateTo says, per variant, whom a role's undecided requests are escalated to.
func policyEscalateTo(variant int, role string) []string {
	if role == "contractor" && variant != 1 {
		return []string{carol}
	}
	return nil
}
