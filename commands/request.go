package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RequestID identifies a request. It is shown to people as "R42".
type RequestID uint64

// String returns the id as people see it: "R42".
func (id RequestID) String() string { return "R" + strconv.FormatUint(uint64(id), 10) }

// ParseRequestID reads "R42", "r42" or "42".
func ParseRequestID(s string) (RequestID, error) {
	t := strings.TrimSpace(s)
	if t != "" && (t[0] == 'R' || t[0] == 'r') {
		t = t[1:]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, Errorf(CodeInvalid, "%s is not a request id: they look like R42", Escape(strconv.Quote(s)))
	}
	return RequestID(n), nil
}

// State is where a request is in its life. See DESIGN.md for the diagram.
type State string

// The request states.
const (
	StatePending      State = "pending"
	StateProvisioning State = "provisioning"
	StateActive       State = "active"
	StateRevoking     State = "revoking"
	StateExpired      State = "expired"
	StateRevoked      State = "revoked"
	StateDenied       State = "denied"
	StateCancelled    State = "cancelled"
	StateTimedOut     State = "timed_out"
	StateFailed       State = "failed"
)

// Final reports whether nothing more can happen to a request in this state.
func (s State) Final() bool {
	switch s {
	case StateExpired, StateRevoked, StateDenied, StateCancelled, StateTimedOut, StateFailed:
		return true
	}
	return false
}

// Device is a Datacake device as a request names it: its id for Datacake, and its name and
// serial for people.
type Device struct {
	ID     string   `json:"id"`
	Name   string   `json:"name,omitempty"`
	Serial string   `json:"serial,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

// Label is how a device is shown to people: its name, with the serial when it differs.
func (d Device) Label() string {
	switch {
	case d.Name != "" && d.Serial != "" && d.Name != d.Serial:
		return d.Name + " (" + d.Serial + ")"
	case d.Name != "":
		return d.Name
	case d.Serial != "":
		return d.Serial
	}
	return d.ID
}

// Approval is one approver's yes.
type Approval struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// MessageRef points at a Slack message cakegate posted, so it can be updated later.
type MessageRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// IsZero reports whether no message has been recorded.
func (m MessageRef) IsZero() bool { return m.Channel == "" || m.TS == "" }

// Request is one person's ask for a scoped token, from the moment they ask until its grant ends.
type Request struct {
	ID        RequestID `json:"id"`
	Requester string    `json:"requester"` // Slack user id
	// Key names the delivery that asked for it (RequestInput.Key), so a replay finds it.
	Key       string `json:"key,omitempty"`
	Workspace string `json:"workspace"`
	Role      string `json:"role"`
	// Permissions are copied from the role when the request is made, so a later policy change
	// does not alter what an approver saw and said yes to.
	WorkspacePermissions []string      `json:"workspace_permissions"`
	DevicePermissions    []string      `json:"device_permissions"`
	Devices              []Device      `json:"devices"`
	Duration             time.Duration `json:"duration"`
	Reason               string        `json:"reason"`

	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	ApprovalsNeeded int        `json:"approvals_needed"`
	Approvals       []Approval `json:"approvals,omitempty"`
	// DecidedBy and DecidedAt record the last decision: the final approval, the denial, the
	// cancel, the revoke.
	DecidedBy    string    `json:"decided_by,omitempty"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	DecisionNote string    `json:"decision_note,omitempty"`
	// FailureReason says why a request ended in StateFailed, in words a person can act on.
	FailureReason string `json:"failure_reason,omitempty"`

	// Message is the approval message in the approvals channel.
	Message MessageRef `json:"message,omitzero"`

	Grant     *Grant     `json:"grant,omitempty"`
	Extension *Extension `json:"extension,omitempty"`
	// ProvisionedBy names the run of cakegate that moved the request to provisioning and
	// is creating its API user; reconcile takes over requests another run left there.
	ProvisionedBy string `json:"provisioned_by,omitempty"`
	// HalfwayReminded records that approvers were reminded of a pending request.
	HalfwayReminded bool `json:"halfway_reminded,omitempty"`
}

// Grant is what an approved request became: a Datacake API user that exists until ExpiresAt.
// The token is never part of it.
type Grant struct {
	APIUserID   string    `json:"api_user_id"`
	APIUserName string    `json:"api_user_name"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// RemindersSent holds the lead times whose reminder has gone out.
	RemindersSent []time.Duration `json:"reminders_sent,omitempty"`
	// RevokeAttempts counts failed deletions, for backoff and alerting.
	RevokeAttempts int       `json:"revoke_attempts,omitempty"`
	NextAttemptAt  time.Time `json:"next_attempt_at,omitzero"`
	// Ending says why the grant is being revoked: StateExpired or StateRevoked.
	Ending State `json:"ending,omitempty"`
}

// Extension is a pending request to move a grant's expiry.
type Extension struct {
	By          string        `json:"by"`
	Duration    time.Duration `json:"duration"`
	RequestedAt time.Time     `json:"requested_at"`
	Approvals   []Approval    `json:"approvals,omitempty"`
}

// APIUserName is the name cakegate gives the Datacake API user of a request, so that it can
// recognise its own API users later: "cakegate-r42-u012ab3cd".
func APIUserName(id RequestID, requester string) string {
	return fmt.Sprintf("%s%d-%s", APIUserPrefix, uint64(id), strings.ToLower(requester))
}

// APIUserPrefix starts the name of every API user cakegate creates.
const APIUserPrefix = "cakegate-r"

// RequestIDFromAPIUserName returns the request an API user was made for, if cakegate named it.
func RequestIDFromAPIUserName(name string) (RequestID, bool) {
	rest, ok := strings.CutPrefix(name, APIUserPrefix)
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, "-")
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return RequestID(n), true
}

// ApprovedBy reports whether user has approved.
func (r *Request) ApprovedBy(user string) bool {
	for _, a := range r.Approvals {
		if a.User == user {
			return true
		}
	}
	return false
}

// Approvers lists who approved, in order.
func (r *Request) Approvers() []string {
	out := make([]string, len(r.Approvals))
	for i, a := range r.Approvals {
		out[i] = a.User
	}
	return out
}

// Clone returns a deep copy, so a store can hand out requests without sharing memory.
func (r *Request) Clone() *Request {
	if r == nil {
		return nil
	}
	c := *r
	c.WorkspacePermissions = append([]string(nil), r.WorkspacePermissions...)
	c.DevicePermissions = append([]string(nil), r.DevicePermissions...)
	c.Devices = make([]Device, len(r.Devices))
	for i, d := range r.Devices {
		d.Tags = append([]string(nil), d.Tags...)
		c.Devices[i] = d
	}
	c.Approvals = append([]Approval(nil), r.Approvals...)
	if r.Grant != nil {
		g := *r.Grant
		g.RemindersSent = append([]time.Duration(nil), r.Grant.RemindersSent...)
		c.Grant = &g
	}
	if r.Extension != nil {
		e := *r.Extension
		e.Approvals = append([]Approval(nil), r.Extension.Approvals...)
		c.Extension = &e
	}
	return &c
}
