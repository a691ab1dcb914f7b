package commands

import (
	"context"
	"slices"
)

// maxApproverCopies bounds the direct-message copies kept per request: each is updated on
// every change, so an unbounded list would make one request cost unbounded Slack calls.
const maxApproverCopies = 50

// ApproverCopy is a direct message that showed a request to one approver. It names whom,
// and which notification sent it, so that a notification retried (after a failure for
// another member of a user group, or a restart) sends each approver one copy, not one per
// attempt. Copies stored before they carried these have neither.
type ApproverCopy struct {
	MessageRef
	User         string `json:"user,omitempty"`
	Notification uint64 `json:"notification,omitempty"`
}

// RecordCopy stores a direct message that showed request id to an approver, so later changes
// update it with the approval message. A copy recorded twice is kept once; past
// maxApproverCopies the oldest are forgotten (they keep their last text and stale buttons,
// which a click would refuse anyway).
func (s *Service) RecordCopy(ctx context.Context, id RequestID, c ApproverCopy) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if !slices.Contains(r.ApproverCopies, c) {
			r.ApproverCopies = append(r.ApproverCopies, c)
		}
		if n := len(r.ApproverCopies); n > maxApproverCopies {
			r.ApproverCopies = slices.Delete(r.ApproverCopies, 0, n-maxApproverCopies)
		}
		return Change{}, nil
	})
	return err
}

// CopySent reports whether notification already gave user a copy of r: then a retry of it
// leaves them out.
func (r *Request) CopySent(notification uint64, user string) bool {
	return slices.ContainsFunc(r.ApproverCopies, func(c ApproverCopy) bool {
		return c.Notification == notification && c.User == user
	})
}
