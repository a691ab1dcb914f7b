package commands

import (
	"context"
	"fmt"
)

// Cancel withdraws a pending request. Only its requester may.
func (s *Service) Cancel(ctx context.Context, id RequestID, user string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester != user {
		instead := fmt.Sprintf("approvers can deny it with `/cakegate deny %s`", id)
		if r.State != StatePending {
			instead = fmt.Sprintf("approvers can revoke it with `/cakegate revoke %s`", id)
		}
		return nil, Errorf(CodeNotAllowed, "only %s, who asked for %s, can cancel it; %s.", Mention(r.Requester), id, instead)
	}
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		from := r.State
		if err := moveTo(r, StateCancelled, "cancel"); err != nil {
			if r.State == StateActive {
				return Change{}, Errorf(CodeWrongState, "%s is already active; use `/cakegate revoke %s` to end it.", r.ID, r.ID)
			}
			return Change{}, err
		}
		now := s.now()
		r.DecidedBy, r.DecidedAt, r.UpdatedAt = user, now, now
		return Change{
			Audit:  []AuditEvent{s.event(r, user, "cancelled", from, "")},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, "")},
		}, nil
	})
}
