package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TimeOutPending ends requests that waited longer than the policy's pending_timeout without
// a decision: they become timed_out, the approval message says so and the requester is told.
// Halfway through the wait, the approvers are reminded once.
func (s *Service) TimeOutPending(ctx context.Context) (SweepResult, error) {
	timeout := s.Policy.PendingTimeout
	if timeout <= 0 {
		return SweepResult{}, nil
	}
	pending, err := s.Store.InState(ctx, StatePending)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find pending requests: %w", err)
	}
	now := s.now()
	var res SweepResult
	for _, r := range pending {
		halfway := !r.HalfwayReminded && !now.Before(r.CreatedAt.Add(timeout/2))
		expired := !now.Before(r.CreatedAt.Add(timeout))
		if !halfway && !expired {
			continue
		}
		_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StatePending {
				return Change{}, errNotDue
			}
			if !now.Before(r.CreatedAt.Add(timeout)) {
				from := r.State
				if err := moveTo(r, StateTimedOut, "time out"); err != nil {
					return Change{}, err
				}
				r.UpdatedAt, r.DecidedAt = now, now
				return Change{
					Audit: []AuditEvent{s.event(r, Actor, "timed_out", from, "no decision within "+FormatDuration(timeout))},
					Outbox: []Notification{
						s.notify(r, NotifyApprovalUpdate, ""),
						s.notify(r, NotifyRequester, fmt.Sprintf("%s got no decision within %s and has timed out. Ask again with `/cakegate request` if you still need it.", r.ID, FormatDuration(timeout))),
					},
				}, nil
			}
			if r.HalfwayReminded {
				return Change{}, errNotDue
			}
			r.HalfwayReminded = true
			left := r.CreatedAt.Add(timeout).Sub(now)
			return Change{
				Audit:  []AuditEvent{s.event(r, Actor, "approvers_reminded", r.State, "")},
				Outbox: []Notification{s.notify(r, NotifyApprovers, fmt.Sprintf("%s from %s (role %s) is still waiting for a decision; it times out in %s.", r.ID, Mention(r.Requester), Escape(r.Role), FormatDuration(left.Round(time.Minute))))},
			}, nil
		})
		switch {
		case err == nil:
			res.Done++
		case errors.Is(err, errNotDue):
		default:
			res.Failed++
			s.log().Error("pending timeout", "request", r.ID.String(), "err", err)
		}
	}
	return res, nil
}
