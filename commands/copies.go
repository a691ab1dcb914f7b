package commands

import (
	"context"
	"slices"
)

// maxApproverCopies bounds the direct-message copies kept per request: each is updated on
// every change, so an unbounded list would make one request cost unbounded Slack calls.
const maxApproverCopies = 50

// RecordCopy stores a direct message that showed request id to an approver, so later changes
// update it with the approval message. A copy recorded twice is kept once; past
// maxApproverCopies the oldest are forgotten (they keep their last text and stale buttons,
// which a click would refuse anyway).
func (s *Service) RecordCopy(ctx context.Context, id RequestID, m MessageRef) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if !slices.Contains(r.ApproverCopies, m) {
			r.ApproverCopies = append(r.ApproverCopies, m)
		}
		if n := len(r.ApproverCopies); n > maxApproverCopies {
			r.ApproverCopies = slices.Delete(r.ApproverCopies, 0, n-maxApproverCopies)
		}
		return Change{}, nil
	})
	return err
}
