package commands

import "context"

// checkOpenRequests refuses a new request from requester who already has the policy's
// max_open_requests waiting for a decision: one person must not be able to bury the
// approvers, and the notices that matter, under hundreds of requests. Two requests sent at
// the very same moment may both pass; the cap is against floods, not a count to the unit.
func (s *Service) checkOpenRequests(ctx context.Context, requester string) error {
	limit := s.Policy.maxOpenRequests()
	// Everyone's pending requests are few (the cap sees to it), unlike one person's history.
	pending, err := s.Store.InState(ctx, StatePending)
	if err != nil {
		return err
	}
	open := 0
	for _, r := range pending {
		if r.Requester == requester {
			open++
		}
	}
	if open >= limit {
		return Errorf(CodeNotAllowed, "you already have %d requests waiting for approval, the most one person may have at once. Cancel one (`/cakegate list` shows them) or wait for a decision.", open)
	}
	return nil
}
