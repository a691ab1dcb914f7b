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

// whyNotGrantable is ungrantable, and also whether r's requester may still ask for its role:
// the policy in force decides, not the one the request was made under. It may ask Slack
// about user groups, so it is called outside any store transaction. It returns the role and
// why not ("" when r is still within the policy); requesterDropped says the requester lost
// the right to ask.
func (s *Service) whyNotGrantable(ctx context.Context, r *Request) (role *Role, why string, requesterDropped bool, err error) {
	if role, why = s.ungrantable(r); why != "" || r.Adopted != nil {
		return role, why, false, nil // an adopted API user's owner need not be a requester
	}
	if err := s.mayRequest(ctx, r.Requester, role); err != nil {
		if ErrorCode(err) != CodeNotRequester {
			return role, "", false, err
		}
		return role, fmt.Sprintf("the policy no longer lets %s ask for role %s", Mention(r.Requester), role.Name), true, nil
	}
	return role, "", false, nil
}

// dropUngrantable ends what the policy in force no longer allows on r: a pending request is
// cancelled; an approved one not yet revealed is cancelled (its role no longer grants it) or
// lapses (its requester may no longer ask); an extension waiting on an active grant is
// refused (the grant keeps its end). The requester and the approvals channel are told why.
// It returns the error to answer the person whose action found it, or nil if r is still
// grantable.
func (s *Service) dropUngrantable(ctx context.Context, r *Request) error {
	waiting := r.State == StatePending || r.State == StateApproved // no API user yet
	if !waiting && !(r.State == StateActive && r.Extension != nil) {
		return nil
	}
	_, why, dropped, err := s.whyNotGrantable(ctx, r)
	if err != nil {
		return err
	}
	if why == "" {
		return nil
	}
	_, err = s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		now := s.now()
		// end moves r, not yet granted, to state to (audited as action), and tells the
		// approvers and the requester.
		end := func(to State, verb, action, toApprovers, toRequester string) (Change, error) {
			from := r.State
			if err := moveTo(r, to, verb); err != nil {
				return Change{}, err
			}
			r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = Actor, now, why, now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, action, from, why)},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyApprovers, toApprovers),
					s.notify(r, NotifyRequester, toRequester),
				},
			}, nil
		}
		switch {
		case r.State == StatePending || (r.State == StateApproved && !dropped):
			return end(StateCancelled, "cancel", "cancelled",
				fmt.Sprintf(":no_entry: cakegate cancelled %s from %s: %s.", r.ID, Mention(r.Requester), why),
				fmt.Sprintf(":no_entry: cakegate cancelled your request %s: %s. `/cakegate roles` shows what you can ask for now.", r.ID, why))
		case r.State == StateApproved:
			return end(StateLapsed, "lapse", "lapsed",
				fmt.Sprintf(":no_entry: The approval of %s from %s lapsed: %s. No token was made.", r.ID, Mention(r.Requester), why),
				fmt.Sprintf(":no_entry: The approval of your request %s lapsed before its token was revealed: %s. No token was made. `/cakegate roles` shows what you can ask for now.", r.ID, why))
		case r.State == StateActive && r.Extension != nil:
			d := r.Extension.Duration
			r.Extension, r.UpdatedAt = nil, now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, "extension_denied", r.State, why)},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyApprovers, fmt.Sprintf(":no_entry: cakegate refused extending %s by %s: %s. It still ends at %s.", r.ID, FormatDuration(d), why, when(r.Grant))),
					s.notify(r, NotifyRequester, fmt.Sprintf(":no_entry: %s cannot be extended: %s. Your token still ends at %s.", r.ID, why, when(r.Grant))),
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
		return Errorf(CodeWrongState, "%s can no longer be granted: %s. cakegate has ended it and told %s.", r.ID, why, Mention(r.Requester))
	}
	return Errorf(CodeWrongState, "%s can no longer be extended: %s. cakegate has refused the extension and told %s; the token still ends at %s.", r.ID, why, Mention(r.Requester), when(r.Grant))
}

// dropAllUngrantable runs dropUngrantable over every pending or approved request and every
// active one with an extension waiting: at start and at each reconcile, after the policy
// may have changed. Each asks whether its requester may still ask (mayRequest, which may
// look up a user group), as the person acting on it would.
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
