package commands

import (
	"context"
	"slices"
)

// DefaultAuditCount is how many events Audit shows when asked for none in particular.
const DefaultAuditCount = 20

// Audit returns the newest n audit events for an approver: anyone who may approve some role.
// Requesters see their own requests through List and Status instead.
func (s *Service) Audit(ctx context.Context, user string, n int) ([]AuditEvent, error) {
	ok, err := s.ApprovesAnyRole(ctx, user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Errorf(CodeNotApprover, "only approvers can read the audit log. `/cakegate list` shows your own requests.")
	}
	if s.AuditLog == nil {
		return nil, Errorf(CodeUnavailable, "the audit log cannot be read here; run `cakegate audit export` on the server.")
	}
	if n <= 0 {
		n = DefaultAuditCount
	}
	return s.AuditLog.RecentAudit(ctx, n)
}

// ApprovesAnyRole reports whether user is an approver of the policy or of any role, directly
// or through a user group.
func (s *Service) ApprovesAnyRole(ctx context.Context, user string) (bool, error) {
	lists := [][]string{s.Policy.Approvers}
	for _, name := range s.Policy.RoleOrder {
		if r := s.Policy.Roles[name]; len(r.Approvers) > 0 {
			lists = append(lists, r.Approvers)
		}
	}
	for _, l := range lists {
		if slices.Contains(l, user) {
			return true, nil
		}
	}
	for _, l := range lists {
		ok, err := s.inList(ctx, l, user)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
