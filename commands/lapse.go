package commands

import (
	"context"
	"errors"
	"fmt"
)

// LapseUnrevealed is the reveal sweep. A scheduled request whose start came is announced to
// its requester, with the Reveal token button (tellStart). An approved request whose
// requester did not reveal the token within the policy's reveal_within lapses: no API user
// was ever made, so there is nothing to delete. The requester and the approvals channel are told, and the approval
// message says so. It is a sweep over the approved index, so a missed run loses nothing.
func (s *Service) LapseUnrevealed(ctx context.Context) (SweepResult, error) {
	approved, err := s.Store.InState(ctx, StateApproved)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find approved requests: %w", err)
	}
	var res SweepResult
	for _, r := range approved {
		now := s.now()
		if now.Before(r.RevealBy) {
			if startDue(r, now) {
				res.count(s, r.ID, "start", s.tellStart(ctx, r.ID))
			}
			continue
		}
		_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			from := r.State
			if r.State != StateApproved || now.Before(r.RevealBy) {
				return Change{}, errNotDue
			}
			if err := moveTo(r, StateLapsed, "lapse"); err != nil {
				return Change{}, err
			}
			r.UpdatedAt = now
			return Change{
				Audit: []AuditEvent{s.event(r, Actor, "lapsed", from, "not revealed by "+r.RevealBy.UTC().Format("2006-01-02 15:04 UTC"))},
				Outbox: []Notification{
					s.notify(r, NotifyApprovalUpdate, ""),
					s.notify(r, NotifyRequester, fmt.Sprintf(":no_entry: The approval of %s (role %s) lapsed: its token was not revealed in time, and none was ever created. Ask again with `/cakegate request` if you still need access.", r.ID, Escape(r.Role))),
					s.notify(r, NotifyApprovers, fmt.Sprintf(":no_entry: The approval of %s (role %s) lapsed: %s did not reveal the token in time; no API user was created.", r.ID, Escape(r.Role), Mention(r.Requester))),
				},
			}, nil
		})
		res.count(s, r.ID, "lapse", err)
	}
	return res, nil
}

// TimeOutPendingAndLapse runs TimeOutPending, then LapseUnrevealed: the scheduler's pending
// job, for everything that waits on a person.
func (s *Service) TimeOutPendingAndLapse(ctx context.Context) (SweepResult, error) {
	res, err := s.TimeOutPending(ctx)
	lapsed, lerr := s.LapseUnrevealed(ctx)
	res.Done += lapsed.Done
	res.Failed += lapsed.Failed
	return res, errors.Join(err, lerr)
}
