package commands

import (
	"slices"
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

// State is where a request is in its life; the package documentation has the diagram.
type State string

// The request states.
const (
	StatePending State = "pending"
	// StateApproved is an approved request waiting for its requester to reveal the token:
	// no API user exists yet.
	StateApproved     State = "approved"
	StateProvisioning State = "provisioning"
	StateActive       State = "active"
	StateRevoking     State = "revoking"
	StateExpired      State = "expired"
	StateRevoked      State = "revoked"
	StateDenied       State = "denied"
	StateCancelled    State = "cancelled"
	StateTimedOut     State = "timed_out"
	StateFailed       State = "failed"
	// StateLapsed is an approval whose token was not revealed in time; no API user was made.
	StateLapsed State = "lapsed"
)

// Final reports whether nothing more can happen to a request in this state.
func (s State) Final() bool {
	switch s {
	case StateExpired, StateRevoked, StateDenied, StateCancelled, StateTimedOut, StateFailed, StateLapsed:
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
	// Template names the policy's preset the request was made from, "" for none; it is a
	// label for people: the role's rules decide, as for any request.
	Template string `json:"template,omitempty"`
	// OnCall names the Slack user group whose member the requester was when the role's
	// on-call rule approved the request; "" when people decided.
	OnCall string `json:"on_call,omitempty"`
	// StartAt is when the access starts, for a request made with start= (zero: as soon as
	// it is approved). Reveal works from then, reveal_within counts from then, and the
	// grant ends at StartAt + Duration at the latest. An approval after it moves it there.
	StartAt time.Time `json:"start_at,omitzero"`
	// StartTold records that the requester of a scheduled request got the Reveal token
	// button, at its start or at its approval if that came later.
	StartTold bool `json:"start_told,omitempty"`

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
	// is creating its API user, and LeaseUntil how long that claim holds: reconcile takes
	// over a request another run left there, or whose lease ran out (the write that would
	// have marked it active failed, or the work outlived its context).
	ProvisionedBy string    `json:"provisioned_by,omitempty"`
	LeaseUntil    time.Time `json:"lease_until,omitzero"`
	// RevealBy is when an approved request lapses unless its requester reveals the token.
	RevealBy time.Time `json:"reveal_by,omitzero"`
	// RevealedAt is when the token was first shown: the grant's clock started then.
	RevealedAt time.Time `json:"revealed_at,omitzero"`
	// EndsAt keeps a revealed grant's end while the request is back in approved (a re-issue
	// whose token could not be shown), so revealing again does not restart its clock.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Halted marks a request revoked while its API user was being made: an approver or its
	// requester withdrew it, or its requester's Slack account was deactivated (DecidedBy and
	// DecisionNote say who and why). Provisioning deletes the API user as soon as it is
	// recorded, instead of showing its token.
	Halted bool `json:"halted,omitempty"`
	// RevealMessage is the direct message with the Reveal token button, updated as the
	// request moves on so its button is offered only while it works.
	RevealMessage MessageRef `json:"reveal_message,omitzero"`
	// TokenInDM marks a grant made before Reveal existed: its token was posted in a direct
	// message, which is edited when the grant ends so the token no longer shows there.
	TokenInDM bool `json:"token_in_dm,omitempty"`
	// Adopted marks the record of an API user cakegate did not make, which an approver
	// gave an owner (Requester) and an end (Grant.ExpiresAt); Role is AdoptedRole.
	Adopted *Adoption `json:"adopted,omitempty"`
	// Reissues counts the re-issued tokens of the grant, against the policy's max_reissues.
	Reissues int `json:"reissues,omitempty"`
	// HalfwayReminded records that approvers were reminded of a pending request.
	HalfwayReminded bool `json:"halfway_reminded,omitempty"`
	// Escalation records how often the approvers were re-notified, and who was brought in.
	Escalation Escalation `json:"escalation,omitzero"`
	// ApproverCopies are the direct messages that showed the request to approvers, each
	// updated with the channel message, so every copy says who decided and when.
	ApproverCopies []ApproverCopy `json:"approver_copies,omitempty"`
}

// Escalation is the re-notification record of a request that waits for a decision.
type Escalation struct {
	// Rounds counts the re-notifications sent by the scheduler.
	Rounds int `json:"rounds,omitempty"`
	// LastRoundAt is when the last round went out.
	LastRoundAt time.Time `json:"last_round_at,omitzero"`
	// To are the users and groups brought in as approvers after the second round.
	To []string `json:"to,omitempty"`
	// NudgedAt is when the requester last asked to remind the approvers.
	NudgedAt time.Time `json:"nudged_at,omitzero"`
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
	// Fingerprint is the SHA-256 of the token (see Fingerprint), so a message that holds
	// it is recognised; the token itself is never stored.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Extension is a pending request to move a grant's expiry.
type Extension struct {
	By          string        `json:"by"`
	Duration    time.Duration `json:"duration"`
	RequestedAt time.Time     `json:"requested_at"`
	Approvals   []Approval    `json:"approvals,omitempty"`
}

// LifeStart is when r's grant began: its token's first reveal, which re-issues and
// extensions keep. Its role's max_duration caps the grant's end from there.
func (r *Request) LifeStart() time.Time {
	if !r.RevealedAt.IsZero() || r.Grant == nil {
		return r.RevealedAt
	}
	return r.Grant.CreatedAt // the first reveal, not yet marked active
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

// Clone returns a deep copy, so a store can hand out requests without sharing memory. It is
// exact, down to nil and empty lists, so a copy cannot be told from the request it was made
// from (TestCloneSharesNothing).
func (r *Request) Clone() *Request {
	if r == nil {
		return nil
	}
	c := *r
	c.WorkspacePermissions = slices.Clone(r.WorkspacePermissions)
	c.DevicePermissions = slices.Clone(r.DevicePermissions)
	if r.Devices != nil {
		c.Devices = make([]Device, len(r.Devices))
		for i, d := range r.Devices {
			d.Tags = slices.Clone(d.Tags)
			c.Devices[i] = d
		}
	}
	c.Approvals = slices.Clone(r.Approvals)
	c.Escalation.To = slices.Clone(r.Escalation.To)
	c.ApproverCopies = slices.Clone(r.ApproverCopies)
	if r.Grant != nil {
		g := *r.Grant
		g.RemindersSent = slices.Clone(r.Grant.RemindersSent)
		c.Grant = &g
	}
	if r.Extension != nil {
		e := *r.Extension
		e.Approvals = slices.Clone(r.Extension.Approvals)
		c.Extension = &e
	}
	if r.Adopted != nil {
		a := *r.Adopted
		c.Adopted = &a
	}
	return &c
}
