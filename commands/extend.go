package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Extend asks to move an active grant's expiry later by d. The grant's whole lifetime never
// exceeds its role's max_duration. A role with extend_without_approval (or auto_approve)
// extends at once; otherwise the extension waits for approval like a request, and the token
// stays valid until its current expiry meanwhile.
func (s *Service) Extend(ctx context.Context, id RequestID, user string, d time.Duration) (*Request, error) {
	if d <= 0 {
		return nil, Errorf(CodeInvalid, "say how much longer, like `/cakegate extend %s 24h`.", id)
	}
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	role, err := s.extendable(ctx, r)
	if err != nil {
		return nil, err
	}
	immediate := role.ExtendWithoutApproval || role.AutoApprove
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		room, err := extensionRoom(r, user, role)
		if err != nil {
			return Change{}, err
		}
		if d > room {
			return Change{}, Errorf(CodeTooLong, "%s at most %s in all, so %s can be extended by at most %s.", allowsWho(role), FormatDuration(role.MaxDuration), r.ID, FormatDuration(room))
		}
		now := s.now()
		r.UpdatedAt = now
		if immediate {
			return s.applyExtension(r, user, d, "without approval (role allows it)"), nil
		}
		r.Extension = &Extension{By: user, Duration: d, RequestedAt: now}
		return Change{
			Audit:  []AuditEvent{s.event(r, user, "extension_requested", r.State, "by "+FormatDuration(d))},
			Outbox: s.askExtensionApprovers(r, role, user, d),
		}, nil
	})
}

// ExtensionRoom checks, without changing anything, that user may ask to extend request id
// now, as Extend checks it, and says by how much at most (to the minute). A form uses it to
// offer only what Extend will accept, or to say why nothing can be.
func (s *Service) ExtensionRoom(ctx context.Context, id RequestID, user string) (*Request, *Role, time.Duration, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, nil, 0, err
	}
	role, err := s.extendable(ctx, r)
	if err != nil {
		return nil, nil, 0, err
	}
	room, err := extensionRoom(r, user, role)
	if err != nil {
		return nil, nil, 0, err
	}
	return r, role, room, nil
}

// extendable returns r's role if the current policy still allows r as granted, to its
// requester; otherwise r keeps its end but cannot be extended.
func (s *Service) extendable(ctx context.Context, r *Request) (*Role, error) {
	role, why, _, err := s.whyNotGrantable(ctx, r)
	if err != nil {
		return nil, err
	}
	if why != "" {
		return nil, Errorf(CodeNotAllowed, "%s cannot be extended: %s. It still ends at %s; ask for a new token with `/cakegate request` if you need more.", r.ID, why, when(r.Grant))
	}
	return role, nil
}

// extensionRoom is how much longer user may extend r: only its requester, only while it is
// active with no extension waiting, and never past its role's maximum lifetime.
func extensionRoom(r *Request, user string, role *Role) (time.Duration, error) {
	if r.Requester != user {
		return 0, Errorf(CodeNotAllowed, "only %s, who holds %s, can ask to extend it.", Mention(r.Requester), r.ID)
	}
	if r.State != StateActive || r.Grant == nil {
		return 0, wrongState(r, "extend")
	}
	if r.Extension != nil {
		return 0, Errorf(CodeWrongState, "%s already has an extension of %s waiting for approval.", r.ID, FormatDuration(r.Extension.Duration))
	}
	room, err := lifetimeLeft(r, role)
	if err != nil {
		return 0, err
	}
	return room, nil
}

// lifetimeLeft is how far r's expiry may still move before its whole life passes its role's
// maximum, to the minute; none left is an error. The life counts from the first reveal: a
// re-issue makes a new API user, not a new grant.
func lifetimeLeft(r *Request, role *Role) (time.Duration, error) {
	room := r.LifeStart().Add(role.MaxDuration).Sub(r.Grant.ExpiresAt).Truncate(time.Minute)
	if room <= 0 {
		if role.Name == AdoptedRole {
			return 0, Errorf(CodeTooLong, "%s already runs for the longest the policy allows an adopted API user (%s); it is deleted when it ends.", r.ID, FormatDuration(role.MaxDuration))
		}
		return 0, Errorf(CodeTooLong, "%s already runs for role %s's maximum of %s; ask for a new token with `/cakegate request` when it ends.", r.ID, role.Name, FormatDuration(role.MaxDuration))
	}
	return room, nil
}

// allowsWho begins a sentence on what caps a grant's life: its role, or for an adopted API
// user (whose record's role is no role of the policy) the policy's adopt_max.
func allowsWho(role *Role) string {
	if role.Name == AdoptedRole {
		return "the policy allows an adopted API user"
	}
	return "role " + role.Name + " allows"
}

// applyExtension moves the expiry and forgets reminders already sent, so the new expiry
// gets its own.
func (s *Service) applyExtension(r *Request, actor string, d time.Duration, how string) Change {
	r.Grant.ExpiresAt = r.Grant.ExpiresAt.Add(d)
	r.Grant.RemindersSent = nil
	r.Extension = nil
	return Change{
		Audit: []AuditEvent{s.event(r, actor, "extended", r.State, fmt.Sprintf("by %s to %s, %s", FormatDuration(d), when(r.Grant), how))},
		Outbox: []Notification{
			s.notify(r, NotifyApprovalUpdate, ""),
			s.notify(r, NotifyRequester, fmt.Sprintf(":white_check_mark: %s is extended by %s: your token now works until %s. It is the same token.", r.ID, FormatDuration(d), when(r.Grant))),
		},
	}
}

// approveExtension records an approval of the extension waiting on r.
func (s *Service) approveExtension(ctx context.Context, r *Request, approver string) (*Request, error) {
	if r.Requester == approver && !s.mayDecideOwn() {
		return nil, Errorf(CodeSelfApproval, "you cannot approve the extension of your own %s; another approver must.", r.ID)
	}
	role, err := s.requireApprover(ctx, approver, r)
	if err != nil {
		return nil, err
	}
	stale, err := s.staleApprovals(ctx, r, r.Extension.Approvals, role)
	if err != nil {
		return nil, err
	}
	needed := max(role.Approvals, 1)
	return s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		if r.State != StateActive || r.Extension == nil {
			return Change{}, Errorf(CodeWrongState, "%s has no extension waiting for approval.", r.ID)
		}
		ext := r.Extension
		var c Change
		if dropped := dropApprovals(&ext.Approvals, stale); len(dropped) > 0 {
			c.Audit = append(c.Audit, s.event(r, Actor, "approvals_dropped", r.State, "no longer approvers of role "+r.Role+": "+strings.Join(dropped, ", ")))
		}
		r.ApprovalsNeeded = needed
		already := slices.ContainsFunc(ext.Approvals, func(a Approval) bool { return a.User == approver })
		if already && len(ext.Approvals) < r.ApprovalsNeeded {
			return Change{}, Errorf(CodeAlreadyApproved, "you already approved the extension of %s.", r.ID)
		}
		now := s.now()
		if !already {
			ext.Approvals = append(ext.Approvals, Approval{User: approver, At: now})
		}
		r.UpdatedAt = now
		if len(ext.Approvals) < r.ApprovalsNeeded {
			c.Audit = append(c.Audit, s.event(r, approver, "extension_approval", r.State, fmt.Sprintf("%d of %d", len(ext.Approvals), r.ApprovalsNeeded)))
			c.Outbox = append(c.Outbox, s.notify(r, NotifyApprovalUpdate, ""))
			return c, nil
		}
		if role != nil {
			// The role may have shrunk since the extension was asked for.
			room, err := lifetimeLeft(r, role)
			if err != nil {
				return Change{}, err
			}
			if ext.Duration > room {
				limit := "role " + role.Name
				if role.Name == AdoptedRole {
					limit = "the policy's limit for adopted API users"
				}
				return Change{}, Errorf(CodeTooLong, "%s now allows %s only %s more, not the %s asked for; deny it and ask for less.", limit, r.ID, FormatDuration(room), FormatDuration(ext.Duration))
			}
		}
		applied := s.applyExtension(r, approver, ext.Duration, "approved by "+approver)
		c.Audit = append(c.Audit, applied.Audit...)
		c.Outbox = append(c.Outbox, applied.Outbox...)
		return c, nil
	})
}

// denyExtension drops the extension waiting on request id; the grant keeps its expiry.
func (s *Service) denyExtension(ctx context.Context, id RequestID, approver, reason string) (*Request, error) {
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		if r.State != StateActive || r.Extension == nil {
			return Change{}, Errorf(CodeWrongState, "%s has no extension waiting for a decision.", r.ID)
		}
		d := r.Extension.Duration
		r.Extension = nil
		r.UpdatedAt = s.now()
		text := fmt.Sprintf(":no_entry: %s denied extending %s by %s; your token still ends at %s.", Mention(approver), r.ID, FormatDuration(d), when(r.Grant))
		if reason != "" {
			text += " Reason: " + Escape(reason)
		}
		return Change{
			Audit:  []AuditEvent{s.event(r, approver, "extension_denied", r.State, reason)},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, ""), s.notify(r, NotifyRequester, text)},
		}, nil
	})
}
