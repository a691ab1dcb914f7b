package simulation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
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
	roles      = []string{"viewer", "device-editor", "contractor"}
)

// policy is one of the policies the simulated operator switches between at restarts: the
// full policy, less what each field takes away. Every change that narrows who may do what
// meets requests that wait under the old policy.
type policy struct {
	noContractor     bool // the contractor role is removed
	danLeavesList    bool // requesters is a list without dan (it is "all" otherwise)
	editorForAlice   bool // device-editor may be asked for by alice and ann only
	bobNotApprover   bool // bob is no longer one of the top-level approvers (device-editor then needs one approval)
	noEscalation     bool // contractor's escalate_to (carol) is dropped
	shorterViewerMax bool // viewer's max_duration 2d (7d otherwise); device-editor needs one approval (two otherwise)
}

// String names what the policy takes away, for the trace.
func (p policy) String() string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{
		{p.noContractor, "no contractor role"}, {p.danLeavesList, "dan not a requester"},
		{p.editorForAlice, "device-editor for alice and ann"}, {p.bobNotApprover, "bob not an approver"},
		{p.noEscalation, "no escalate_to"}, {p.shorterViewerMax, "viewer 2d, editor 1 approval"},
	} {
		if f.on {
			out = append(out, f.name)
		}
	}
	if len(out) == 0 {
		return "full policy"
	}
	return strings.Join(out, ", ")
}

// nextPolicy picks the policy of a redeploy: mostly the full one or one narrowed in one or
// two ways, so each narrowing meets requests made under a wider policy, and is undone again.
func (w *World) nextPolicy() policy {
	var p policy
	if w.rng.IntN(3) == 0 {
		return p
	}
	for range 1 + w.rng.IntN(2) {
		switch w.rng.IntN(6) {
		case 0:
			p.noContractor = w.enabled(triggerRoleRemoved)
		case 1:
			p.danLeavesList = true
		case 2:
			p.editorForAlice = true
		case 3:
			p.bobNotApprover = true
		case 4:
			p.noEscalation = true
		default:
			p.shorterViewerMax = true
		}
	}
	return p
}

// approvers are the top-level approvers: every role's but contractor's, and who may
// confirm deleting orphans.
func (p policy) approvers() []string {
	if p.bobNotApprover {
		return []string{ann}
	}
	return []string{ann, bob}
}

// hasRole reports whether the policy has the role.
func (p policy) hasRole(role string) bool {
	return slices.Contains(roles, role) && !(role == "contractor" && p.noContractor)
}

// roleApprovers says who approves the role's requests (besides those a request was
// escalated to, while the policy still names them).
func (p policy) roleApprovers(role string) []string {
	switch {
	case role == commands.AdoptedRole:
		return p.approvers() // adopted API users are decided on by the top-level approvers
	case !p.hasRole(role):
		return nil
	case role == "contractor":
		return []string{erin}
	}
	return p.approvers()
}

// escalateTo says whom the role's undecided requests are escalated to.
func (p policy) escalateTo(role string) []string {
	if role == "contractor" && p.hasRole(role) && !p.noEscalation {
		return []string{carol}
	}
	return nil
}

// mayRequest reports whether user may ask for role.
func (p policy) mayRequest(user, role string) bool {
	if !p.hasRole(role) || (p.danLeavesList && user == dan) {
		return false
	}
	if role == "device-editor" && p.editorForAlice {
		return user == alice || user == ann
	}
	return true
}

// maxDuration is the role's max_duration.
func (p policy) maxDuration(role string) time.Duration {
	switch role {
	case "viewer":
		if p.shorterViewerMax {
			return 48 * time.Hour
		}
		return 7 * 24 * time.Hour
	case "device-editor":
		return 24 * time.Hour
	}
	return 8 * time.Hour
}

// text is the policy file. sweep is how often the expire and outbox sweeps run: every
// minute, as by default; replicas on etcd, where each sweep is a round trip, every five
// (the expiry alarm, precise to the second, does not wait for them).
func (p policy) text(sweep string) string {
	var b strings.Builder
	reqs := "all"
	if p.danLeavesList {
		reqs = fmt.Sprintf("[%s, %s, %s]", alice, carol, ann)
	}
	fmt.Fprintf(&b, `workspace: %s
approvals_channel: %s
approvers: [%s]
requesters: %s
timezone: Europe/Berlin
reminders: [24h, 1h]
pending_timeout: 48h
schedule:
  expire: "@every %[5]s"
  remind: "@every 5m"
  pending: "@every 5m"
  outbox: "@every %[5]s"
  reconcile: "@every 15m"
roles:
`, workspace, approvalsChannel, strings.Join(p.approvers(), ", "), reqs, sweep)
	viewerMax, editorApprovals := "7d", 2
	if p.shorterViewerMax {
		viewerMax, editorApprovals = "2d", 1
	}
	if p.bobNotApprover {
		editorApprovals = 1 // one approver left cannot give two approvals
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
	if p.editorForAlice {
		fmt.Fprintf(&b, "    requesters: [%s, %s]\n", alice, ann)
	}
	b.WriteString(onCallText)
	if !p.noContractor {
		fmt.Fprintf(&b, `  contractor:
    description: Short visits by contractors
    workspace_permissions: [devices]
    device_permissions: [edit_basics]
    max_duration: 8h
    default_duration: 2h
    approvers: [%s]
    notify_approvers: dm
    escalate_after: 1h
`, erin)
		if !p.noEscalation {
			fmt.Fprintf(&b, "    escalate_to: [%s]\n", carol)
		}
	}
	b.WriteString(p.templatesText())
	return b.String()
}
