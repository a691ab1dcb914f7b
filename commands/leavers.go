package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Directory answers whether a Slack user can still use Slack. A user Slack no longer knows
// is reported inactive, with no error: they left.
type Directory interface {
	IsActive(ctx context.Context, user string) (bool, error)
}

// DeactivatedReason is the note on every grant ended and request cancelled because its
// requester's Slack account was deactivated.
const DeactivatedReason = "deactivated"

// Deactivated ends what user, whose Slack account was deactivated, holds or waits for:
// every grant with an API user is revoked (reason deactivated), every pending or approved
// request cancelled. The approvals channel is told about each. It is what a user_change
// event with deleted:true and the daily leavers sweep call; calling it twice does nothing
// more.
func (s *Service) Deactivated(ctx context.Context, user string) (SweepResult, error) {
	requests, err := s.Store.ByUser(ctx, user, 0)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find the requests of %s: %w", user, err)
	}
	var res SweepResult
	for _, r := range requests {
		if r.State.Final() || (r.State == StateProvisioning && r.Grant == nil) || r.State == StateRevoking {
			// Ended already; a reveal under way is ended by expiry or the next sweep once
			// it has its API user; a revocation under way finishes by itself.
			continue
		}
		if err := s.deactivate(ctx, r.ID); err != nil {
			res.Failed++
			s.log().Error("end the access of a deactivated user", "request", r.ID.String(), "err", err)
			continue
		}
		res.Done++
	}
	return res, nil
}

// deactivate ends one request of a deactivated user.
func (s *Service) deactivate(ctx context.Context, id RequestID) error {
	var revoke bool
	r, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from, now := r.State, s.now()
		if r.State.Final() {
			return Change{}, errNotDue
		}
		revoke = mayEnd(r)
		to := StateCancelled
		if revoke {
			to = StateRevoking
		}
		if err := moveTo(r, to, "revoke"); err != nil {
			return Change{}, err
		}
		if revoke {
			r.Grant.Ending = StateRevoked
		}
		r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = Actor, now, DeactivatedReason, now
		r.Extension = nil
		what := "cancelled"
		if revoke {
			what = "is being revoked"
		}
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, DeactivatedReason, from, Mention(r.Requester)+"'s Slack account was deactivated")},
			Outbox: []Notification{
				s.notify(r, NotifyApprovalUpdate, ""),
				s.notify(r, NotifyApprovers, fmt.Sprintf(":bust_in_silhouette: %s (role %s) of %s %s: their Slack account was deactivated.", r.ID, Escape(r.Role), Mention(r.Requester), what)),
			},
		}, nil
	})
	if errors.Is(err, errNotDue) {
		return nil
	}
	if err != nil || !revoke {
		return err
	}
	_, err = s.finishRevoke(ctx, r)
	return err
}

// LeaverPace is the least time between two questions to the Directory in one leavers
// sweep: users.info allows about 100 calls a minute.
const LeaverPace = time.Second

// SweepLeavers asks the Directory about every user who holds a live grant or waits for one,
// one at a time and at most one question per pace, and ends the access of each who is no
// longer active (Deactivated). It catches deactivations whose user_change event was missed
// (cakegate was down, the event was lost). wait is how the sweep paces itself; it returns
// false when the sweep should stop.
func (s *Service) SweepLeavers(ctx context.Context, dir Directory, wait func(context.Context) bool) (SweepResult, error) {
	seen := map[string]bool{}
	var users []string
	for _, st := range []State{StateActive, StateApproved, StatePending, StateProvisioning} {
		rs, err := s.Store.InState(ctx, st)
		if err != nil {
			return SweepResult{}, fmt.Errorf("find %s requests: %w", st, err)
		}
		for _, r := range rs {
			if !seen[r.Requester] {
				seen[r.Requester] = true
				users = append(users, r.Requester)
			}
		}
	}
	var res SweepResult
	for i, u := range users {
		if i > 0 && !wait(ctx) {
			return res, ctx.Err()
		}
		active, err := dir.IsActive(ctx, u)
		if err != nil {
			res.Failed++
			s.log().Warn("leavers: ask Slack about a user", "user", u, "err", err)
			continue
		}
		if active {
			continue
		}
		s.log().Info("leavers: user no longer active; ending their access", "user", u)
		r, err := s.Deactivated(ctx, u)
		res.Done += r.Done
		res.Failed += r.Failed
		if err != nil {
			res.Failed++
		}
	}
	return res, nil
}
