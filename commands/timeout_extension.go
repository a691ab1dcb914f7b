package commands

import (
	"context"
	"fmt"
	"time"
)

// timeOutExtensions drops every extension that waited longer than timeout without a
// decision, so an extension nobody answers does not hang until the grant ends. The grant
// keeps its expiry; the requester is told, and may ask again.
func (s *Service) timeOutExtensions(ctx context.Context, now time.Time, timeout time.Duration) (SweepResult, error) {
	active, err := s.Store.InState(ctx, StateActive)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find active grants: %w", err)
	}
	var res SweepResult
	for _, r := range active {
		if r.Extension == nil || now.Before(r.Extension.RequestedAt.Add(timeout)) {
			continue
		}
		_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateActive || r.Extension == nil || now.Before(r.Extension.RequestedAt.Add(timeout)) {
				return Change{}, errNotDue
			}
			d := r.Extension.Duration
			r.Extension = nil
			r.UpdatedAt = now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, "extension_timed_out", r.State, fmt.Sprintf("by %s: no decision within %s", FormatDuration(d), FormatDuration(timeout)))},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyRequester, fmt.Sprintf(":no_entry: Your extension of %s by %s got no decision within %s and has lapsed; your token still ends at %s. Ask again with `/cakegate extend %s DURATION` if you still need it.", r.ID, FormatDuration(d), FormatDuration(timeout), when(r.Grant), r.ID)),
				},
			}, nil
		})
		res.count(s, r.ID, "extension timeout", err)
	}
	return res, nil
}
