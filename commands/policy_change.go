package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ungrantable says why the current policy no longer lets r be granted or extended: its role
// is gone, or the role no longer allows its permissions, its devices or its duration. It
// returns the role and "" when r is still within it. Requests copy their role's permissions
// when made (so an approver sees what they approve); this is what keeps a later policy
// change from being bypassed by a request made before it.
func (s *Service) ungrantable(r *Request) (*Role, string) {
	role, ok := s.Policy.Role(r.Role)
	if !ok {
		return nil, fmt.Sprintf("role %s is no longer in cakegate's policy", Escape(r.Role))
	}
	for _, p := range r.WorkspacePermissions {
		if !slices.Contains(role.WorkspacePermissions, p) {
			return role, fmt.Sprintf("role %s no longer grants the workspace permission %s", role.Name, p)
		}
	}
	for _, p := range r.DevicePermissions {
		if !slices.Contains(role.DevicePermissions, p) {
			return role, fmt.Sprintf("role %s no longer grants the device permission %s", role.Name, p)
		}
	}
	for _, d := range r.Devices {
		if !role.Devices.Allows(d) {
			return role, fmt.Sprintf("role %s no longer covers the device %s (it covers %s)", role.Name, Escape(d.Label()), role.Devices)
		}
	}
	if r.Duration > role.MaxDuration {
		return role, fmt.Sprintf("role %s now allows at most %s, less than the %s asked for", role.Name, FormatDuration(role.MaxDuration), FormatDuration(r.Duration))
	}
	return role, ""
}

// dropUngrantable ends what the policy no longer allows on r: a pending request, or an
// approved one not yet revealed, is cancelled, an extension waiting on an active grant is refused (the grant keeps its end).
// The requester and the approvals channel are told why. It returns the error to answer the
// person whose action found it, or nil if r is still grantable.
func (s *Service) dropUngrantable(ctx context.Context, r *Request) error {
	waiting := r.State == StatePending || r.State == StateApproved // no API user yet
	if !waiting && !(r.State == StateActive && r.Extension != nil) {
		return nil
	}
	if _, why := s.ungrantable(r); why == "" {
		return nil
	}
	var why string
	_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		if _, why = s.ungrantable(r); why == "" {
			return Change{}, errNotDue
		}
		now := s.now()
		from := r.State
		switch {
		case r.State == StatePending || r.State == StateApproved:
			if err := moveTo(r, StateCancelled, "cancel"); err != nil {
				return Change{}, err
			}
			r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = Actor, now, why, now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, "cancelled", from, why)},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyApprovers, fmt.Sprintf("cakegate cancelled %s from %s: %s.", r.ID, Mention(r.Requester), why)),
					s.notify(r, NotifyRequester, fmt.Sprintf("cakegate cancelled your request %s: %s. `/cakegate roles` shows what you can ask for now.", r.ID, why)),
				},
			}, nil
		case r.State == StateActive && r.Extension != nil:
			d := r.Extension.Duration
			r.Extension, r.UpdatedAt = nil, now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, "extension_denied", r.State, why)},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyApprovers, fmt.Sprintf("cakegate refused extending %s by %s: %s. It still ends at %s.", r.ID, FormatDuration(d), why, when(r.Grant))),
					s.notify(r, NotifyRequester, fmt.Sprintf("%s cannot be extended: %s. Your token still ends at %s.", r.ID, why, when(r.Grant))),
				},
			}, nil
		}
		return Change{}, errNotDue
	})
	if errors.Is(err, errNotDue) {
		return nil
	}
	if err != nil {
		return err
	}
	if waiting {
		return Errorf(CodeWrongState, "%s can no longer be granted: %s. cakegate has cancelled it and told %s.", r.ID, why, Mention(r.Requester))
	}
	return Errorf(CodeWrongState, "%s can no longer be extended: %s. cakegate has refused the extension and told %s; the token still ends at %s.", r.ID, why, Mention(r.Requester), when(r.Grant))
}

// dropAllUngrantable runs dropUngrantable over every pending request and every active one
// with an extension waiting: at start (reconcile), after the policy may have changed.
func (s *Service) dropAllUngrantable(ctx context.Context, res *ReconcileResult) error {
	for _, st := range []State{StatePending, StateApproved, StateActive} {
		rs, err := s.Store.InState(ctx, st)
		if err != nil {
			return fmt.Errorf("find %s requests: %w", st, err)
		}
		for _, r := range rs {
			if st == StateActive && r.Extension == nil {
				continue
			}
			if _, why := s.ungrantable(r); why == "" {
				continue
			}
			var e *Error
			if err := s.dropUngrantable(ctx, r); errors.As(err, &e) && e.Code == CodeWrongState {
				res.Dropped++
			} else if err != nil {
				res.Errors++
			}
		}
	}
	return nil
}
