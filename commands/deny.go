package commands

import (
	"context"
	"fmt"
	"strings"
)

// Deny refuses request id, or the extension waiting on an active request. The reason, if
// any, is shown to the requester.
func (s *Service) Deny(ctx context.Context, id RequestID, approver, reason string) (*Request, error) {
	reason = strings.TrimSpace(reason)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.dropUngrantable(ctx, r); err != nil {
		return nil, err
	}
	if _, err := s.requireApprover(ctx, approver, r); err != nil {
		return nil, err
	}
	if r.State == StateActive && r.Extension != nil {
		return s.denyExtension(ctx, id, approver, reason)
	}
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		from := r.State
		if err := moveTo(r, StateDenied, "deny"); err != nil {
			return Change{}, err
		}
		now := s.now()
		r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = approver, now, reason, now
		text := fmt.Sprintf(":no_entry: %s denied your request %s for role %s.", Mention(approver), r.ID, Escape(r.Role))
		if reason != "" {
			text += " Reason: " + Escape(reason)
		}
		return Change{
			Audit:  []AuditEvent{s.event(r, approver, "denied", from, reason)},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, ""), s.notify(r, NotifyRequester, text)},
		}, nil
	})
}
