package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Change is what a transition writes beside the request itself, in the same store
// transaction: the audit events that record it and the notifications that announce it.
// Either all of it is written with the new request state, or none of it.
type Change struct {
	Audit  []AuditEvent
	Outbox []Notification
}

// AuditEvent records one thing that happened to a request: who did what, and the state it
// moved between. It never holds a secret.
type AuditEvent struct {
	Seq     uint64    `json:"seq"` // assigned by the store, increasing
	At      time.Time `json:"at"`
	Request RequestID `json:"request"`
	Actor   string    `json:"actor"` // Slack user id, or "cakegate" for the scheduler
	Action  string    `json:"action"`
	From    State     `json:"from,omitempty"`
	To      State     `json:"to,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// NotificationKind says what a notification is for; the transport decides how it looks.
type NotificationKind string

// The notification kinds.
const (
	// NotifyApprovalRequest posts a request to the approvals channel with Approve and Deny
	// buttons. The transport records the message with Service.RecordMessage.
	NotifyApprovalRequest NotificationKind = "approval_request"
	// NotifyApprovalUpdate brings the approval message up to date with the request.
	NotifyApprovalUpdate NotificationKind = "approval_update"
	// NotifyRequester sends Text to the requester privately.
	NotifyRequester NotificationKind = "requester"
	// NotifyReminder tells the requester their grant expires soon, with Extend and Revoke.
	NotifyReminder NotificationKind = "reminder"
	// NotifyApprovers posts Text to the approvals channel (alerts, reminders to decide).
	NotifyApprovers NotificationKind = "approvers"
	// NotifyApproverDM sends the approval message, with its buttons, to the user or every
	// member of the user group To by direct message. The transport records each copy with
	// Service.RecordCopy, so updates of the approval message reach it too.
	NotifyApproverDM NotificationKind = "approver_dm"
	// NotifyApprovalThread posts Text as a reply in the approval message's thread; without
	// a channel message it has nowhere to go and is dropped.
	NotifyApprovalThread NotificationKind = "approval_thread"
	// NotifyReveal sends the requester of an approved request the direct message with its
	// Reveal token button. It never carries the token: the click creates it.
	NotifyReveal NotificationKind = "reveal"
	// NotifyScrubTokenDM edits the direct messages in which a cakegate from before Reveal
	// posted the request's token (Request.TokenInDM), so the token no longer shows.
	NotifyScrubTokenDM NotificationKind = "scrub_token_dm"
	// NotifyUser sends Text privately to To, who may have no request here: the person an
	// orphaned API user's name points at.
	NotifyUser NotificationKind = "user"
	// NotifyReview posts access review Review in its channel, or brings its messages up to
	// date with its decisions.
	NotifyReview NotificationKind = "review"
	// NotifyReviewThread posts Text as a reply in access review Review's thread.
	NotifyReviewThread NotificationKind = "review_thread"
)

// Notification is a message waiting in the outbox to be delivered to Slack.
type Notification struct {
	ID      uint64           `json:"id"` // assigned by the store
	Kind    NotificationKind `json:"kind"`
	Request RequestID        `json:"request"`
	Text    string           `json:"text,omitempty"`
	// To is who a direct message is for: a user or user group (NotifyApproverDM), or a
	// user (NotifyUser).
	To        string    `json:"to,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Attempts and NextAttemptAt schedule redelivery after a failure.
	Attempts      int       `json:"attempts,omitempty"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	// Urgent notices (revocations, expiries, leaks, failures, security alerts) are
	// delivered before routine ones, so a queue of routine news cannot hold them back.
	Urgent bool `json:"urgent,omitempty"`
	// Review is the access review a NotifyReview brings up to date.
	Review string `json:"review,omitempty"`
}

// RequestStore keeps requests. Every write is one transaction that also writes the
// change's audit events and notifications.
type RequestStore interface {
	// Create stores a new request, assigns its ID (r.ID is set), and writes c. Events and
	// notifications in c whose Request is zero are given the new ID. In the same
	// transaction it refuses, writing nothing, a request whose requester has a deactivation
	// recorded (an error matching ErrDeactivated), one whose requester already made a
	// request with the same Key (a *SameDeliveryError), and one whose requester already
	// has rules.MaxPending requests pending (a *PendingCapError): so that no burst, and no
	// replica racing another, walks through them.
	Create(ctx context.Context, r *Request, c Change, rules CreateRules) error
	// Update loads request id, lets fn change it and say what else to write, and stores the
	// result, all in one transaction: fn sees the current state, so checking it in fn is a
	// compare-and-set. If fn returns an error nothing is written and Update returns it. fn
	// must not block or call out: it runs with the store locked. fn may run more than once
	// (the etcd store runs it again on the fresh value when another replica wrote first),
	// and only its last run counts.
	Update(ctx context.Context, id RequestID, fn func(r *Request) (Change, error)) (*Request, error)
	// Get returns request id, or an error matching ErrNotFound.
	Get(ctx context.Context, id RequestID) (*Request, error)
}

// RequestFinder answers the questions the use cases and the scheduler ask, each from an
// index, so the cost follows the answer's size rather than the number of stored requests.
type RequestFinder interface {
	// InState returns the requests now in state s, oldest first. Only the states a request
	// can leave (pending, provisioning, active, revoking) are indexed.
	InState(ctx context.Context, s State) ([]*Request, error)
	// ExpiringBefore returns the requests with a grant (active, revoking, or provisioning
	// with its API user recorded) whose grant expires at or before t, soonest first.
	ExpiringBefore(ctx context.Context, t time.Time) ([]*Request, error)
	// ByUser returns the requests user made, newest first, at most limit (0: all).
	ByUser(ctx context.Context, user string, limit int) ([]*Request, error)
}

// Store is everything the use cases need of storage.
type Store interface {
	RequestStore
	RequestFinder
	Deactivations
}

// CreateRules are what Create checks in the transaction that writes a request.
type CreateRules struct {
	// MaxPending refuses a request whose requester already has this many requests pending
	// (0: no limit). The store counts them from an index of each requester's pending
	// requests, so the cost does not grow with other people's.
	MaxPending int
}

// PendingCapError is Create's refusal of a request whose requester has Pending requests
// waiting for approval already, as many as CreateRules.MaxPending allows.
type PendingCapError struct{ Pending int }

func (e *PendingCapError) Error() string {
	return fmt.Sprintf("the requester has %d requests pending already", e.Pending)
}

// SameDeliveryError is Create's refusal of a request whose requester made request ID with
// the same Key: the same Slack delivery, arriving again.
type SameDeliveryError struct{ ID RequestID }

func (e *SameDeliveryError) Error() string {
	return fmt.Sprintf("the same delivery made %s already", e.ID)
}

// ErrDeactivated is matched by Create's refusal of a request whose requester has a
// deactivation recorded (Deactivations).
var ErrDeactivated = errors.New("the requester's Slack account is recorded as deactivated")

// Deactivations keeps, per person, that their Slack account was deactivated: written before
// the user_change event that says so is acknowledged, and read by every path that would
// hand out access (Create refuses their requests; a reveal does not show them a token).
type Deactivations interface {
	// RecordDeactivation notes that user was deactivated at, with c (its audit event) in
	// the same transaction. Recording one already recorded keeps the first time and
	// writes nothing.
	RecordDeactivation(ctx context.Context, user string, at time.Time, c Change) error
	// ClearDeactivation forgets user's deactivation, with c in the same transaction: they
	// are back. Clearing none writes nothing and is no error.
	ClearDeactivation(ctx context.Context, user string, c Change) error
	// DeactivatedAt says whether, and since when, user is recorded as deactivated.
	DeactivatedAt(ctx context.Context, user string) (time.Time, bool, error)
}

// Journal records what happened outside any one request, such as an API user that no
// grant owns, in the audit log and the outbox. Its events and notifications have Request 0.
type Journal interface {
	Record(ctx context.Context, c Change) error
}

// AuditReader reads the newest audit events, newest first.
type AuditReader interface {
	RecentAudit(ctx context.Context, n int) ([]AuditEvent, error)
}
