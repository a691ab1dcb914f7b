package commands

import (
	"fmt"
	"time"
)

// askExtensionApprovers queues what tells the approvers that user asks to extend r by d:
// the approval message is updated, and they are told where the role's notify_approvers
// says — a line in the approvals channel, the approval message by direct message (an
// updated message notifies nobody), or both.
func (s *Service) askExtensionApprovers(r *Request, role *Role, user string, d time.Duration) []Notification {
	out := []Notification{s.notify(r, NotifyApprovalUpdate, "")}
	mode := s.Policy.NotifyModeOf(role)
	if mode.InChannel() {
		out = append(out, s.notify(r, NotifyApprovers, fmt.Sprintf(":hourglass_flowing_sand: %s asks to extend %s (role %s) by %s.", Mention(user), r.ID, Escape(r.Role), FormatDuration(d))))
	}
	if mode.ByDM() {
		out = append(out, s.approverDMs(r, s.deciders(r, role))...)
	}
	return out
}

// AwaitsDecision reports whether r waits for an approver: a pending request, or an active
// grant with an extension asked for.
func (r *Request) AwaitsDecision() bool {
	return r.State == StatePending || (r.State == StateActive && r.Extension != nil)
}

// HasApproved reports whether user has already said yes to what r now waits for: the
// extension when one is asked for, the request otherwise.
func (r *Request) HasApproved(user string) bool {
	if r.State == StateActive && r.Extension != nil {
		for _, a := range r.Extension.Approvals {
			if a.User == user {
				return true
			}
		}
		return false
	}
	return r.ApprovedBy(user)
}
