package commands

import (
	"context"
	"slices"
)

// ListLimit is how many of their ended requests List shows a user.
const ListLimit = 20

// List returns user's requests, newest first: every one still open (pending, active, …),
// however old, and the ListLimit newest that have ended.
func (s *Service) List(ctx context.Context, user string) ([]*Request, error) {
	all, err := s.Store.ByUser(ctx, user, 0)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	ended := 0
	for _, r := range all {
		if r.State.Final() {
			if ended == ListLimit {
				continue
			}
			ended++
		}
		out = append(out, r)
	}
	return out, nil
}

// Status returns request id for its requester or an approver of its role.
func (s *Service) Status(ctx context.Context, id RequestID, user string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester == user {
		return r, nil
	}
	if _, err := s.requireApprover(ctx, user, r); err != nil {
		if ErrorCode(err) == CodeNotApprover {
			return nil, Errorf(CodeNotAllowed, "only %s, who asked for %s, and its approvers can see it.", Mention(r.Requester), id)
		}
		return nil, err
	}
	return r, nil
}

// Pending returns what approver may decide now: pending requests of the roles they approve
// or that were escalated to them (not their own, unless the policy allows self-approval) and
// extensions waiting on active grants, oldest first.
func (s *Service) Pending(ctx context.Context, approver string) ([]*Request, error) {
	pending, err := s.Store.InState(ctx, StatePending)
	if err != nil {
		return nil, err
	}
	active, err := s.Store.InState(ctx, StateActive)
	if err != nil {
		return nil, err
	}
	var out []*Request
	decided := map[string]bool{} // role → may approve, so groups are asked once per role
	for _, r := range slices.Concat(pending, active) {
		if r.State == StateActive && r.Extension == nil {
			continue
		}
		if r.Requester == approver && !s.mayDecideOwn() {
			continue
		}
		role, found := s.Policy.Role(r.Role)
		if !found {
			continue // nobody decides on a role the policy no longer has (requireApprover)
		}
		ok, known := decided[r.Role]
		if !known {
			ok, err = s.isApprover(ctx, approver, role)
			if err != nil {
				return nil, err
			}
			decided[r.Role] = ok
		}
		if !ok && r.State == StatePending && len(r.Escalation.To) > 0 {
			// Brought in by escalation: this request, not the whole role, while the
			// policy still names them.
			if ok, err = s.inList(ctx, s.deciders(r, role), approver); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}
