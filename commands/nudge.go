package commands

import (
	"context"
	"fmt"
	"time"
)

// NudgeInterval is how often a requester may ask cakegate to remind the approvers of one
// request: enough to be heard, not enough to be a nuisance.
const NudgeInterval = time.Hour

// RemindApprovers is the requester's "Remind approvers" button: everyone who may still
// decide on pending request id gets it again by direct message, and the approval message's
// thread says the requester asked. At most once per NudgeInterval per request. It is a
// person's deliberate ask, so quiet hours do not hold it.
func (s *Service) RemindApprovers(ctx context.Context, id RequestID, user string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester != user {
		return nil, Errorf(CodeNotAllowed, "only %s, who asked for %s, can remind its approvers.", Mention(r.Requester), r.ID)
	}
	role, _ := s.Policy.Role(r.Role)
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StatePending {
			return Change{}, wrongState(r, "remind")
		}
		now := s.now()
		if next := NudgeAllowedAt(r); now.Before(next) {
			return Change{}, Errorf(CodeTooSoon, "you reminded the approvers of %s at %s; you can remind them again from %s.", r.ID, clockTime(r.Escalation.NudgedAt), clockTime(next))
		}
		r.Escalation.NudgedAt = now
		r.UpdatedAt = now
		text := fmt.Sprintf("%s asks again for a decision on %s (role %s).", Mention(r.Requester), r.ID, Escape(r.Role))
		return s.pingApprovers(r, role, user, "approvers_nudged", "", text), nil
	})
}

// NudgeAllowedAt is when the requester of r may next remind its approvers (zero: now).
func NudgeAllowedAt(r *Request) time.Time {
	if r.Escalation.NudgedAt.IsZero() {
		return time.Time{}
	}
	return r.Escalation.NudgedAt.Add(NudgeInterval)
}

func clockTime(t time.Time) string { return t.UTC().Format("15:04 UTC") }
