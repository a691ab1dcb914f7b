package commands

import (
	"context"
	"errors"
	"time"
)

// APIUserClass is how cakegate knows an API user of the workspace.
type APIUserClass string

// The classes of API users.
const (
	// ClassGrant is an API user a cakegate grant of this database owns: it ends on time.
	ClassGrant APIUserClass = "grant"
	// ClassUnmanaged is any other: made by hand in the Datacake portal, by another
	// cakegate installation, or by this one for a grant it no longer has. Its token works
	// until someone deletes it, and cakegate deletes it only when an approver says so.
	ClassUnmanaged APIUserClass = "unmanaged"
	// ClassAdopted is an API user cakegate did not make that an approver adopted: it has
	// an owner and an end, and cakegate deletes it then, as it ends a grant.
	ClassAdopted APIUserClass = "adopted"
)

// ReviewDecision is what an approver decided on one item of a review.
type ReviewDecision string

// The decisions on a review item. An item with none is still waiting.
const (
	ReviewKept        ReviewDecision = "kept"        // unmanaged, kept until the next review
	ReviewDeleted     ReviewDecision = "deleted"     // unmanaged, deleted by an approver's click
	ReviewRecertified ReviewDecision = "recertified" // a grant an approver said may go on
	ReviewRevoked     ReviewDecision = "revoked"     // a grant an approver revoked
	ReviewGone        ReviewDecision = "gone"        // its API user was gone when someone clicked
	ReviewAdopted     ReviewDecision = "adopted"     // unmanaged, given an owner and an end
)

// ReviewItem is one API user a review asks about. It never holds a token.
type ReviewItem struct {
	APIUserID   string         `json:"api_user_id"`
	Name        string         `json:"name"`
	Created     time.Time      `json:"created,omitzero"`
	Permissions []string       `json:"permissions,omitempty"` // workspace permissions
	Devices     int            `json:"devices"`               // devices it may see
	Class       APIUserClass   `json:"class"`
	Origin      string         `json:"origin,omitempty"`  // who made an unmanaged one, for people
	Request     RequestID      `json:"request,omitempty"` // the grant's request
	Owner       string         `json:"owner,omitempty"`   // the grant's requester
	Role        string         `json:"role,omitempty"`    // the grant's role
	Ends        time.Time      `json:"ends,omitzero"`     // the grant's end
	Decision    ReviewDecision `json:"decision,omitempty"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	DecidedAt   time.Time      `json:"decided_at,omitzero"`
}

// ReviewCounts is how many API users of each class the review's list held.
type ReviewCounts struct {
	Grants    int `json:"grants"`
	Adopted   int `json:"adopted"`
	Unmanaged int `json:"unmanaged"`
}

// Review is one access review: the workspace's API users as listed when it started, and
// the decisions approvers made on those it asks about. It is stored, so its message can be
// brought up to date and its buttons work after a restart.
type Review struct {
	ID        string       `json:"id"`
	StartedAt time.Time    `json:"started_at"`
	StartedBy string       `json:"started_by"` // a Slack user, or Actor for the schedule
	Channel   string       `json:"channel"`    // where its message goes
	Counts    ReviewCounts `json:"counts"`
	Items     []ReviewItem `json:"items,omitempty"`
	// Failed says why the review could not list the API users; then it has no items and
	// classed and deleted nothing.
	Failed string `json:"failed,omitempty"`
	// Messages are the review's messages: the first in the channel, any others replies in
	// its thread (reviewItemsPerMessage items each).
	Messages []MessageRef `json:"messages,omitempty"`
	// GrantsOlderThan is the age from which a grant was put to the review.
	GrantsOlderThan time.Duration `json:"grants_older_than"`
	// Scheduled marks a review cakegate started on the policy's review schedule.
	Scheduled bool `json:"scheduled,omitempty"`
	// RemindedAt and EscalatedAt record the reminder, and the escalation, of a review
	// nobody answered.
	RemindedAt  time.Time `json:"reminded_at,omitzero"`
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
}

// Open counts the items still waiting for a decision.
func (rv *Review) Open() int {
	n := 0
	for _, it := range rv.Items {
		if it.Decision == "" {
			n++
		}
	}
	return n
}

// deletedCount counts the API users the review's clicks deleted.
func (rv *Review) deletedCount() int {
	n := 0
	for _, it := range rv.Items {
		if it.Decision == ReviewDeleted {
			n++
		}
	}
	return n
}

// ErrReviewNotFound is matched by a ReviewStore's answer for a review it does not hold.
var ErrReviewNotFound = errors.New("no such review")

// ReviewStore keeps access reviews. Each write is one transaction that also writes the
// change's audit events and notifications.
type ReviewStore interface {
	// CreateReview stores a new review (rv.ID set by the caller) with c.
	CreateReview(ctx context.Context, rv *Review, c Change) error
	// UpdateReview loads review id, lets fn change it and say what else to write, and
	// stores the result, all in one transaction, as RequestStore.Update does; fn may run
	// more than once and must not call out.
	UpdateReview(ctx context.Context, id string, fn func(rv *Review) (Change, error)) (*Review, error)
	// GetReview returns review id, or an error matching ErrReviewNotFound.
	GetReview(ctx context.Context, id string) (*Review, error)
	// LatestReviews returns the n newest reviews (by id, which starts with the time it
	// started), newest first.
	LatestReviews(ctx context.Context, n int) ([]*Review, error)
}

// RecordReviewMessage notes where message index of review id was posted, so updates edit
// it. It returns the review as stored.
func (s *Service) RecordReviewMessage(ctx context.Context, id string, index int, m MessageRef) (*Review, error) {
	return s.Reviews.UpdateReview(ctx, id, func(rv *Review) (Change, error) {
		for len(rv.Messages) <= index {
			rv.Messages = append(rv.Messages, MessageRef{})
		}
		rv.Messages[index] = m
		return Change{}, nil
	})
}
