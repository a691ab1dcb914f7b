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
// request cancelled. The approvals channel is told about each. It is MarkDeactivated, then
// FinishDeactivated: what the daily leavers sweep and a user_disabled answer call; calling
// it twice does nothing more.
func (s *Service) Deactivated(ctx context.Context, user string) (SweepResult, error) {
	marked, res, err := s.MarkDeactivated(ctx, user)
	if err != nil && res.Done+res.Failed == 0 {
		return res, err // the requests could not be read; one that failed to end is counted
	}
	// A grant whose delete failed is left in revoking for the sweeps: not done yet.
	fin := s.FinishDeactivated(ctx, marked)
	res.Done -= fin.Failed
	res.Failed += fin.Failed
	return res, nil
}

// MarkDeactivated records that user's account was deactivated, in store writes only and no
// network call, so that the transport can do it before it acknowledges the user_change
// event (as MarkLeaked does for a leak). First the person: from then on no request of theirs
// is created, and a reveal of theirs shows no token. Then each of their requests: one
// waiting for a grant is cancelled, each grant moves to revoking (from where reconcile and
// the expiry sweep finish it even after a crash), and one whose API user is being made now
// is halted, so the reveal deletes it instead of showing it. It returns the grants to finish
// now (FinishDeactivated), those an earlier, interrupted run left in revoking among them,
// and an error if anything could not be recorded: the event must then not be acknowledged,
// and its next delivery finishes the job.
func (s *Service) MarkDeactivated(ctx context.Context, user string) ([]*Request, SweepResult, error) {
	now := s.now()
	record := Change{Audit: []AuditEvent{{At: now, Actor: Actor, Action: DeactivatedReason, Detail: Mention(user) + "'s Slack account was deactivated"}}}
	if err := s.Store.RecordDeactivation(ctx, user, now, record); err != nil {
		return nil, SweepResult{}, fmt.Errorf("record that %s was deactivated: %w", user, err)
	}
	requests, err := s.Store.ByUser(ctx, user, 0)
	if err != nil {
		return nil, SweepResult{}, fmt.Errorf("find the requests of %s: %w", user, err)
	}
	var res SweepResult
	var marked []*Request
	var errs []error
	for _, r := range requests {
		if r.State.Final() {
			continue
		}
		if r.State == StateRevoking {
			marked = append(marked, r) // finished by FinishDeactivated, if nobody has yet
			continue
		}
		m, err := s.markDeactivated(ctx, r.ID)
		if err != nil {
			res.Failed++
			s.log().Error("end the access of a deactivated user", "request", r.ID.String(), "err", err)
			errs = append(errs, err)
			continue
		}
		if m != nil {
			res.Done++
			if m.State == StateRevoking {
				marked = append(marked, m)
			}
		}
	}
	return marked, res, errors.Join(errs...)
}

// FinishDeactivated deletes the API users of the grants MarkDeactivated moved to revoking,
// and records them revoked. What fails is left in revoking, for the sweeps to finish.
func (s *Service) FinishDeactivated(ctx context.Context, marked []*Request) SweepResult {
	var res SweepResult
	for _, r := range marked {
		if _, err := s.finishRevoke(ctx, r); err != nil {
			res.Failed++
			s.log().Error("end the access of a deactivated user", "request", r.ID.String(), "err", err)
		}
	}
	return res
}

// markDeactivated ends one request of a deactivated user in the store: cancelled, its grant
// moved to revoking, or, while its API user is being made, halted. It returns the request as
// written, or nil if there was nothing to do.
func (s *Service) markDeactivated(ctx context.Context, id RequestID) (*Request, error) {
	r, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from, now := r.State, s.now()
		if r.State.Final() || r.State == StateRevoking || r.Halted {
			return Change{}, errNotDue
		}
		var what string
		switch {
		case r.State == StateProvisioning && r.Grant == nil:
			// Its API user is being made: the reveal deletes it as soon as it is recorded.
			r.Halted = true
			what = "is being revoked as its token is made"
		case mayEnd(r):
			if err := moveTo(r, StateRevoking, "revoke"); err != nil {
				return Change{}, err
			}
			r.Grant.Ending = StateRevoked
			what = "is being revoked"
		default:
			if err := moveTo(r, StateCancelled, "cancel"); err != nil {
				return Change{}, err
			}
			what = "cancelled"
		}
		r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = Actor, now, DeactivatedReason, now
		r.Extension = nil
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, DeactivatedReason, from, Mention(r.Requester)+"'s Slack account was deactivated")},
			Outbox: []Notification{
				s.notify(r, NotifyApprovalUpdate, ""),
				s.notify(r, NotifyApprovers, fmt.Sprintf(":bust_in_silhouette: %s (role %s) of %s %s: their Slack account was deactivated.", r.ID, Escape(r.Role), Mention(r.Requester), what)),
			},
		}, nil
	})
	if errors.Is(err, errNotDue) {
		return nil, nil
	}
	return r, err
}

// Reactivated forgets that user's account was deactivated: Slack says it is active again
// (a user_change event). Their ended grants and requests stay ended; they may ask anew.
// With no deactivation recorded, as for almost every user_change (a new status, a new
// photo), the store writes nothing.
func (s *Service) Reactivated(ctx context.Context, user string) error {
	return s.Store.ClearDeactivation(ctx, user, Change{Audit: []AuditEvent{{At: s.now(), Actor: Actor, Action: "reactivated", Detail: Mention(user) + "'s Slack account is active again"}}})
}

// back reports whether user, recorded as deactivated, is active again in Slack, asking the
// Directory (when there is one); if so, the record is cleared. A reactivation whose event
// cakegate missed must not lock a person out for good.
func (s *Service) back(ctx context.Context, user string) bool {
	if s.Directory == nil {
		return false
	}
	active, err := s.Directory.IsActive(ctx, user)
	if err != nil || !active {
		return false
	}
	if err := s.Reactivated(ctx, user); err != nil {
		s.log().Error("forget a deactivation", "user", user, "err", err)
		return false
	}
	return true
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
