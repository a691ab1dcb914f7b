package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TimeOutPending is the pending sweep. Requests that waited longer than the policy's
// pending_timeout without a decision become timed_out: the approval message says so and the
// requester is told. Before that, undecided requests escalate (see escalate) when the policy
// sets escalate_after; otherwise the approvers are reminded once, halfway through the wait.
// Extensions waiting longer than pending_timeout lapse too (see timeOutExtensions).
func (s *Service) TimeOutPending(ctx context.Context) (SweepResult, error) {
	timeout := s.Policy.PendingTimeout
	pending, err := s.Store.InState(ctx, StatePending)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find pending requests: %w", err)
	}
	now := s.now()
	var res SweepResult
	for _, r := range pending {
		role, _ := s.Policy.Role(r.Role)
		escalateAfter, _ := s.Policy.EscalationOf(role)
		expired := timeout > 0 && !now.Before(r.CreatedAt.Add(timeout))
		var err error
		switch {
		case expired:
			err = s.timeOut(ctx, r.ID, now, timeout)
		case escalateAfter > 0:
			if !s.escalationDue(r, role, now) {
				continue
			}
			err = s.escalate(ctx, r.ID, now)
		case timeout > 0 && !r.HalfwayReminded && !now.Before(r.CreatedAt.Add(timeout/2)):
			err = s.remindHalfway(ctx, r.ID, now, timeout)
		default:
			continue
		}
		res.count(s, r.ID, "pending timeout", err)
	}
	if timeout > 0 {
		ext, err := s.timeOutExtensions(ctx, now, timeout)
		res.Done += ext.Done
		res.Failed += ext.Failed
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// count adds the outcome of one transition of a sweep to res, logging a failure.
func (res *SweepResult) count(s *Service, id RequestID, what string, err error) {
	switch {
	case err == nil:
		res.Done++
	case errors.Is(err, errNotDue):
	default:
		res.Failed++
		s.log().Error(what, "request", id.String(), "err", err)
	}
}

// timeOut ends a pending request that got no decision in time.
func (s *Service) timeOut(ctx context.Context, id RequestID, now time.Time, timeout time.Duration) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StatePending || now.Before(r.CreatedAt.Add(timeout)) {
			return Change{}, errNotDue
		}
		from := r.State
		if err := moveTo(r, StateTimedOut, "time out"); err != nil {
			return Change{}, err
		}
		r.UpdatedAt, r.DecidedAt = now, now
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, "timed_out", from, "no decision within "+FormatDuration(timeout))},
			Outbox: []Notification{
				s.notify(r, NotifyApprovalUpdate, ""),
				s.notify(r, NotifyRequester, fmt.Sprintf(":no_entry: %s got no decision within %s and has timed out. Ask again with `/cakegate request` if you still need it.", r.ID, FormatDuration(timeout))),
			},
		}, nil
	})
	return err
}

// remindHalfway reminds the approvers once of a request halfway through its wait, for
// policies that do not escalate.
func (s *Service) remindHalfway(ctx context.Context, id RequestID, now time.Time, timeout time.Duration) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StatePending || r.HalfwayReminded {
			return Change{}, errNotDue
		}
		r.HalfwayReminded = true
		left := r.CreatedAt.Add(timeout).Sub(now)
		c := Change{Audit: []AuditEvent{s.event(r, Actor, "approvers_reminded", r.State, "")}}
		role, _ := s.Policy.Role(r.Role)
		if !s.Policy.NotifyModeOf(role).InChannel() {
			// Asked by direct message only: remind them there, not in a channel that never
			// saw the request.
			c.Outbox = s.approverDMs(r, s.deciders(r, role))
			return c, nil
		}
		c.Outbox = []Notification{s.notify(r, NotifyApprovers, fmt.Sprintf(":hourglass_flowing_sand: %s from %s (role %s) is still waiting for a decision; it times out in %s.", r.ID, Mention(r.Requester), Escape(r.Role), FormatDuration(left.Round(time.Minute))))}
		return c, nil
	})
	return err
}
