package commands

import (
	"slices"
	"strings"
	"time"
)

// Policy is the policy file: who may ask for which role, who approves, and how time works.
// It is read once at start by LoadPolicy / ParsePolicy and not changed afterwards.
type Policy struct {
	Workspace        string
	ApprovalsChannel string
	// Approvers are Slack user ids (U…, W…) and user group ids (S…) who may approve any role
	// that does not name its own.
	Approvers []string
	// AllRequesters is true for "requesters: all"; otherwise only Requesters (users and groups) may ask.
	AllRequesters bool
	Requesters    []string
	// AllowSelfApproval lets an approver approve their own request. Off by default.
	AllowSelfApproval bool
	Location          *time.Location
	Reminders         []time.Duration // lead times before expiry, longest first
	PendingTimeout    time.Duration
	Roles             map[string]*Role
	RoleOrder         []string // role names in file order, for listing
	// Templates are named presets of a request; TemplateOrder lists them in file order.
	Templates     map[string]*Template
	TemplateOrder []string
	Schedule      Schedule
	Orphans       OrphanAction

	// EscalateAfter is how long a request may wait undecided before its approvers are
	// re-notified (then again after twice as long, and so on); 0 never re-notifies.
	EscalateAfter time.Duration
	// EscalateTo are users and user groups brought in as approvers after the second round.
	EscalateTo []string
	// QuietHours hold routine re-pings until they end, in Location.
	QuietHours QuietHours
	// NotifyApprovers says where approvers are asked; "" means NotifyChannel.
	NotifyApprovers NotifyMode
	// OrphansBrake is the most orphans one reconcile deletes on its own; with more, it
	// deletes none and asks an approver (/cakegate orphans delete). A fresh or restored
	// database sees every live API user as an orphan: the brake stops it deleting them all.
	OrphansBrake int
	// MaxOpenRequests caps how many pending requests one person may have at once, so
	// nobody can bury the approvers (and the outbox) in requests. 0 means the default.
	MaxOpenRequests int
	// RevealWithin is how long an approved request waits for its requester to reveal the
	// token before the approval lapses; 0 means DefaultRevealWithin.
	RevealWithin time.Duration
	// MaxLead is how far ahead a request's start= may be; 0 means DefaultMaxLead.
	MaxLead time.Duration
	// MaxReissues is how often a revealed token may be re-issued (a new API user shown, the
	// old one deleted) over its grant's life.
	MaxReissues int
	// Review says where access reviews go and which grants they ask about.
	Review ReviewPolicy
	// AdoptMax is the longest an adopted API user may live before it is extended; 0 means
	// DefaultAdoptMax.
	AdoptMax time.Duration
}

// DefaultMaxOpenRequests is max_open_requests when the policy file names none.
const DefaultMaxOpenRequests = 5

// maxOpenRequests is the cap on pending requests per person.
func (p *Policy) maxOpenRequests() int {
	if p.MaxOpenRequests > 0 {
		return p.MaxOpenRequests
	}
	return DefaultMaxOpenRequests
}

// Role is a named bundle of Datacake permissions and the rules for handing it out.
type Role struct {
	Name                 string
	Description          string
	WorkspacePermissions []string
	DevicePermissions    []string
	Devices              DeviceScope
	MaxDuration          time.Duration
	DefaultDuration      time.Duration
	// Approvals is how many different approvers must say yes (N of M). At least 1.
	Approvals int
	// Approvers replaces the policy's approvers for this role when not empty.
	Approvers []string
	// Requesters, when not empty, narrows who may ask for this role.
	Requesters []string
	// AutoApprove grants the role without an approver.
	AutoApprove bool
	// BreakGlass grants at once like AutoApprove, but the approvers are alerted: for
	// emergencies when nobody can approve in time.
	BreakGlass bool
	// ExtendWithoutApproval lets the requester extend a grant (within MaxDuration) without
	// a new approval.
	ExtendWithoutApproval bool

	// ApprovalsChannel, when set, is where requests for this role are posted instead of
	// the policy's approvals channel.
	ApprovalsChannel string
	// EscalateAfter, EscalateTo and NotifyApprovers replace the policy's when set.
	EscalateAfter   time.Duration
	EscalateTo      []string
	NotifyApprovers NotifyMode
	// Reason is what a requester's reason must look like.
	Reason ReasonRule
	// OnCall, when set, approves at once a request by whoever is on call (see OnCall).
	OnCall *OnCall
}

// OnCall is a role's on-call rule: a request by a member of Group at the moment of the
// request, for at most MaxDuration, is approved by the rule without an approver. The group
// is one an on-call tool (PagerDuty, Opsgenie, incident.io) keeps up to date in Slack.
type OnCall struct {
	Group       string
	MaxDuration time.Duration
}

// DeviceScope says which devices a role may be granted on.
type DeviceScope struct {
	Any  bool     // every device in the workspace
	Tags []string // otherwise: devices carrying at least one of these tags
}

// Allows reports whether d is within the scope.
func (s DeviceScope) Allows(d Device) bool {
	if s.Any {
		return true
	}
	for _, t := range d.Tags {
		if slices.Contains(s.Tags, t) {
			return true
		}
	}
	return false
}

// String describes the scope for people.
func (s DeviceScope) String() string {
	if s.Any {
		return "any device"
	}
	return "devices tagged " + strings.Join(s.Tags, ", ")
}

// Schedule holds the robfig/cron specs of the scheduler's jobs.
type Schedule struct {
	Expire    string
	Remind    string
	Pending   string
	Outbox    string
	Reconcile string
	// Leavers asks Slack about every holder of a live grant, to catch a deactivation
	// whose user_change event was missed.
	Leavers string
}

// DefaultSchedule is used for every job the policy file does not schedule.
var DefaultSchedule = Schedule{
	Expire:    "@every 1m",
	Remind:    "@every 5m",
	Pending:   "@every 5m",
	Outbox:    "@every 10s",
	Reconcile: "@every 15m",
	Leavers:   "@daily",
}

// OrphanAction says what reconcile does with API users named cakegate-… that no grant owns.
type OrphanAction string

// The orphan actions.
const (
	OrphansDelete OrphanAction = "delete"
	OrphansReport OrphanAction = "report"
)

// The defaults for what a policy file leaves out.
const (
	DefaultPendingTimeout = 48 * time.Hour
	DefaultOrphansBrake   = 3
	DefaultRevealWithin   = 24 * time.Hour
	DefaultMaxReissues    = 3
)

// RevealWindow is how long an approval waits to be revealed.
func (p *Policy) RevealWindow() time.Duration {
	if p.RevealWithin <= 0 {
		return DefaultRevealWithin
	}
	return p.RevealWithin
}

// DefaultReminders are the lead times used when the policy file names none.
var DefaultReminders = []time.Duration{24 * time.Hour, time.Hour}

// WorkspacePermissionNames are Datacake's WorkspacePermissions enum values.
var WorkspacePermissionNames = []string{
	"basics", "members", "billing", "devices", "rules", "cakered",
	"whitelabel", "gateways", "reports", "dashboards", "zones", "exports",
}

// DevicePermissionNames are Datacake's DevicePermissions enum values.
var DevicePermissionNames = []string{"edit_basics", "edit_product", "record_measurements"}

// Role returns the named role.
func (p *Policy) Role(name string) (*Role, bool) {
	if name == AdoptedRole {
		return p.adoptedRole(), true // the parser keeps the name free
	}
	r, ok := p.Roles[name]
	return r, ok
}

// ApproversOf returns who may approve role: its own approvers, or the policy's.
func (p *Policy) ApproversOf(role *Role) []string {
	if role != nil && len(role.Approvers) > 0 {
		return role.Approvers
	}
	return p.Approvers
}
