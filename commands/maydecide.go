package commands

import "context"

// MayDecide checks, without changing anything, that user could approve or deny request id
// now: it is waiting for a decision (a pending request, or an extension of an active one)
// and user is one of its approvers. A form uses it before asking for a reason, so nobody
// fills in a form only to be refused.
func (s *Service) MayDecide(ctx context.Context, id RequestID, user string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != StatePending && !(r.State == StateActive && r.Extension != nil) {
		return nil, wrongState(r, "deny")
	}
	if err := s.dropUngrantable(ctx, r); err != nil {
		return nil, err
	}
	if _, err := s.requireApprover(ctx, user, r); err != nil {
		return nil, err
	}
	return r, nil
}
