package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// escalateRound is the round that brings in a request's escalate_to, as approvers: two
// rounds of reminders to its own approvers come first.
const escalateRound = 3

// maxEscalationDoublings bounds the doubling of the wait between rounds, so a request kept
// pending for a very long time cannot overflow it.
const maxEscalationDoublings = 16

// nextEscalationAt is when the next round of re-notifications of r is due: escalate_after
// after the request was made, then twice as long after each round.
func nextEscalationAt(r *Request, after time.Duration) time.Time {
	if r.Escalation.Rounds == 0 {
		return r.CreatedAt.Add(after)
	}
	return r.Escalation.LastRoundAt.Add(after << min(r.Escalation.Rounds, maxEscalationDoublings))
}

// escalationDue reports whether the next round for r is due at now. Quiet hours hold it
// until they end, except for break-glass roles, whose alerts never wait.
func (s *Service) escalationDue(r *Request, role *Role, now time.Time) bool {
	after, _ := s.Policy.EscalationOf(role)
	if after <= 0 || r.State != StatePending || now.Before(nextEscalationAt(r, after)) {
		return false
	}
	return (role != nil && role.BreakGlass) || !s.Policy.Quiet(now)
}

// escalate runs the next round for request id: a direct message to each approver who has
// not yet approved, with the buttons, and a reply in the approval message's thread. After
// the second round, the policy's escalate_to (if any) are brought in as approvers instead.
// Every round is audited and shown on the approval message.
func (s *Service) escalate(ctx context.Context, id RequestID, now time.Time) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		role, _ := s.Policy.Role(r.Role)
		if !s.escalationDue(r, role, now) {
			return Change{}, errNotDue
		}
		_, escalateTo := s.Policy.EscalationOf(role)
		r.Escalation.Rounds++
		r.Escalation.LastRoundAt = now
		r.UpdatedAt = now
		waited := FormatDuration(now.Sub(r.CreatedAt).Round(time.Minute))
		if r.Escalation.Rounds == escalateRound && len(escalateTo) > 0 && len(r.Escalation.To) == 0 {
			r.Escalation.To = slices.Clone(escalateTo)
			text := fmt.Sprintf(":hourglass_flowing_sand: %s from %s (role %s) got no decision in %s; escalated to %s, who can now approve or deny it.", r.ID, Mention(r.Requester), Escape(r.Role), waited, mentions(escalateTo))
			c := Change{Audit: []AuditEvent{s.event(r, Actor, "escalated", r.State, "to "+strings.Join(escalateTo, ", "))}}
			c.Outbox = append(c.Outbox, s.approverDMs(r, escalateTo)...)
			c.Outbox = append(c.Outbox, s.notify(r, NotifyApprovalThread, text), s.notify(r, NotifyApprovalUpdate, ""))
			return c, nil
		}
		text := fmt.Sprintf(":hourglass_flowing_sand: Reminder: %s from %s (role %s) has waited %s for a decision.", r.ID, Mention(r.Requester), Escape(r.Role), waited)
		return s.pingApprovers(r, role, Actor, "approvers_reminded", fmt.Sprintf("round %d", r.Escalation.Rounds), text), nil
	})
	return err
}

// pingApprovers re-notifies everyone who may still decide on r — its approvers and those
// escalated to, less who already approved — and records it.
func (s *Service) pingApprovers(r *Request, role *Role, actor, action, detail, text string) Change {
	c := Change{Audit: []AuditEvent{s.event(r, actor, action, r.State, detail)}}
	c.Outbox = append(c.Outbox, s.approverDMs(r, s.deciders(r, role))...)
	c.Outbox = append(c.Outbox, s.notify(r, NotifyApprovalThread, text), s.notify(r, NotifyApprovalUpdate, ""))
	return c
}

// deciders lists who may decide what r waits for now, as the policy in force says: its
// role's approvers, and, while r waits for its first decision, those it was escalated to
// whom the policy still names in escalate_to. Escalation brings people in to decide on a
// request, not to revoke it or approve its extensions later.
func (s *Service) deciders(r *Request, role *Role) []string {
	list := slices.Clone(s.Policy.ApproversOf(role))
	if r.State != StatePending {
		return list
	}
	_, still := s.Policy.EscalationOf(role)
	for _, id := range r.Escalation.To {
		if slices.Contains(still, id) && !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	return list
}

// approverDMs queues the approval message by direct message to each of ids, leaving out
// users who already approved and the requester (who cannot approve their own request
// unless the policy allows it). User groups are expanded by the transport.
func (s *Service) approverDMs(r *Request, ids []string) []Notification {
	var out []Notification
	for _, id := range ids {
		if r.HasApproved(id) || (id == r.Requester && !s.mayDecideOwn()) {
			continue
		}
		n := s.notify(r, NotifyApproverDM, "")
		n.To = id
		out = append(out, n)
	}
	return out
}

// Summary describes the escalation for the approval message, like "reminded approvers
// twice; escalated to @oncall-leads", or "" when nothing happened yet.
func (e Escalation) Summary() string {
	reminders := e.Rounds
	if len(e.To) > 0 {
		reminders--
	}
	var parts []string
	switch {
	case reminders == 1:
		parts = append(parts, "reminded approvers once")
	case reminders == 2:
		parts = append(parts, "reminded approvers twice")
	case reminders > 2:
		parts = append(parts, fmt.Sprintf("reminded approvers %d times", reminders))
	}
	if len(e.To) > 0 {
		parts = append(parts, "escalated to "+mentions(e.To))
	}
	if !e.NudgedAt.IsZero() {
		parts = append(parts, "the requester asked again")
	}
	return strings.Join(parts, "; ")
}
