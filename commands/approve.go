package commands

import (
	"context"
	"fmt"
)

// Approve records approver's yes on request id. A request the policy no longer allows (see
// ungrantable) is cancelled instead, or its extension refused. The approval that completes the N of M the
// role needs moves the request to approved: its requester is sent a Reveal token button, and
// the API user is created only when they click it (see Reveal). On an active request
// with an extension waiting, Approve approves the extension.
func (s *Service) Approve(ctx context.Context, id RequestID, approver string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.dropUngrantable(ctx, r); err != nil {
		return nil, err
	}
	if r.State == StateActive && r.Extension != nil {
		return s.approveExtension(ctx, r, approver)
	}
	if r.Requester == approver && !s.mayDecideOwn() && r.State == StatePending {
		return nil, Errorf(CodeSelfApproval, "you cannot approve your own request %s; another approver must.", id)
	}
	if _, err := s.requireApprover(ctx, approver, r); err != nil {
		return nil, err
	}

	r, err = s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		if r.State != StatePending {
			return Change{}, wrongState(r, "approve")
		}
		if r.ApprovedBy(approver) {
			return Change{}, Errorf(CodeAlreadyApproved, "you already approved %s; it needs %d more approval(s) from %s.", r.ID, r.ApprovalsNeeded-len(r.Approvals), s.otherApprovers(r))
		}
		now := s.now()
		r.Approvals = append(r.Approvals, Approval{User: approver, At: now})
		r.UpdatedAt = now
		c := Change{Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, "")}}
		if len(r.Approvals) < r.ApprovalsNeeded {
			c.Audit = append(c.Audit, s.event(r, approver, "approval", r.State, fmt.Sprintf("%d of %d", len(r.Approvals), r.ApprovalsNeeded)))
			return c, nil
		}
		from := r.State
		reveal, err := s.approve(r, approver, now)
		if err != nil {
			return Change{}, err
		}
		c.Outbox = append(c.Outbox, reveal)
		c.Audit = append(c.Audit, s.event(r, approver, "approved", from, fmt.Sprintf("%d of %d", len(r.Approvals), r.ApprovalsNeeded)))
		return c, nil
	})
	return r, err
}

// otherApprovers names who else can approve r, for "it needs 1 more from …".
func (s *Service) otherApprovers(r *Request) string {
	role, _ := s.Policy.Role(r.Role)
	return mentions(s.Policy.ApproversOf(role))
}
