package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	role, err := s.requireApprover(ctx, approver, r)
	if err != nil {
		return nil, err
	}
	// Who may approve, and how many must, is the policy in force's to say: an approval
	// given by someone it no longer makes an approver does not count.
	stale, err := s.staleApprovals(ctx, r, r.Approvals, role)
	if err != nil {
		return nil, err
	}
	needed := max(role.Approvals, 1)

	r, err = s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		if r.State != StatePending {
			return Change{}, wrongState(r, "approve")
		}
		var c Change
		if dropped := dropApprovals(&r.Approvals, stale); len(dropped) > 0 {
			c.Audit = append(c.Audit, s.event(r, Actor, "approvals_dropped", r.State, "no longer approvers of role "+r.Role+": "+strings.Join(dropped, ", ")))
		}
		r.ApprovalsNeeded = needed
		already := r.ApprovedBy(approver)
		if already && len(r.Approvals) < r.ApprovalsNeeded {
			return Change{}, Errorf(CodeAlreadyApproved, "you already approved %s; it needs %s from %s.", r.ID, Plural(r.ApprovalsNeeded-len(r.Approvals), "more approval", "more approvals"), s.otherApprovers(r))
		}
		now := s.now()
		if !already {
			r.Approvals = append(r.Approvals, Approval{User: approver, At: now})
		}
		r.UpdatedAt = now
		c.Outbox = append(c.Outbox, s.notify(r, NotifyApprovalUpdate, ""))
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

// staleApprovals lists who, among those who gave approvals (of a request or of its
// extension), the policy in force no longer lets decide on r. It may ask Slack about user
// groups, so it runs before the write.
func (s *Service) staleApprovals(ctx context.Context, r *Request, approvals []Approval, role *Role) (map[string]bool, error) {
	stale := map[string]bool{}
	deciders := s.deciders(r, role)
	for _, a := range approvals {
		if a.User == Actor {
			continue
		}
		ok, err := s.inList(ctx, deciders, a.User)
		if err != nil {
			return nil, err
		}
		if !ok || (a.User == r.Requester && !s.mayDecideOwn()) {
			stale[a.User] = true
		}
	}
	return stale, nil
}

// dropApprovals removes the approvals by the users in stale, and returns who they were.
func dropApprovals(approvals *[]Approval, stale map[string]bool) []string {
	var dropped []string
	*approvals = slices.DeleteFunc(*approvals, func(a Approval) bool {
		if stale[a.User] {
			dropped = append(dropped, a.User)
			return true
		}
		return false
	})
	return dropped
}

// otherApprovers names who else can approve r, for "it needs 1 more from …".
func (s *Service) otherApprovers(r *Request) string {
	role, _ := s.Policy.Role(r.Role)
	return mentions(s.Policy.ApproversOf(role))
}
