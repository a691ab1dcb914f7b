package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReconcileResult counts what one reconcile did.
type ReconcileResult struct {
	Reopened        int // reveals a crash interrupted: API user deleted, Reveal works again
	Failed          int // … or given up on, their grant's end having passed
	Revoked         int // revocations a crash interrupted, finished
	Vanished        int // grants whose API user was deleted in the Datacake portal
	Renamed         int // adopted API users renamed in the portal, whose records were closed
	Duplicates      int // adoptions of an API user an earlier record holds (adopted twice at once), closed
	OrphansDeleted  int // API users named by this installation that no grant owns
	OrphansReported int // … reported only, or another installation's
	OrphansHeld     int // … not deleted because there were more than orphans_brake
	Dropped         int // pending requests cancelled, or extensions refused, that the policy no longer allows
	Errors          int // left for the next run
}

// StoppedWhileCreating is why reconcile gives back the approval of a request whose token
// cakegate stopped while creating (the audit event's detail).
const StoppedWhileCreating = "cakegate stopped while creating it"

// Reconcile brings cakegate's records and Datacake back in line after a crash, a change
// made in the Datacake portal, or a change of the policy. It runs at start and on the
// policy's schedule:
//   - a pending request, or an extension waiting, that the policy no longer allows (its
//     role is gone, or no longer covers its permissions, devices or duration) is cancelled
//     or refused, and the requester and the approvals channel told why;
//   - a request left in provisioning (the process died between creating its API user and
//     showing the token, or its lease ran out because the write marking it active failed)
//     has any half-made API user deleted, found by id and by name: nobody may hold a token
//     nobody saw. It goes back to approved, so its requester's Reveal button works again
//     (a re-issue keeps its grant's end; one whose grant's end has passed is marked failed);
//   - a request left in revoking has its revocation finished;
//   - an API user named cakegate-<this installation>-r… that no grant owns is deleted (or
//     only reported, if the policy says orphans: report, or if there are more than
//     orphans_brake of them, when an approver confirms with /cakegate orphans delete);
//     another installation's, or one from before installation ids that no grant owns, is
//     reported once and never deleted;
//   - an active grant whose API user no longer exists in Datacake is marked revoked, and its
//     requester told;
//   - a second adoption of an API user (two approvers adopting it at once, and cakegate
//     stopping before the later closed itself) is closed, and its owner told.
func (s *Service) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	if err := s.dropAllUngrantable(ctx, &res); err != nil {
		return res, err
	}
	if err := s.reconcileProvisioning(ctx, &res); err != nil {
		return res, err
	}
	revoking, err := s.Store.InState(ctx, StateRevoking)
	if err != nil {
		return res, fmt.Errorf("find revoking requests: %w", err)
	}
	now := s.now()
	for _, r := range revoking {
		if r.Grant != nil && r.Grant.NextAttemptAt.After(now) {
			continue // a failed deletion waits out its backoff, whoever retries it
		}
		if _, err := s.finishRevoke(ctx, r); err != nil {
			res.Errors++
			continue
		}
		res.Revoked++
	}
	if err := s.reconcileAPIUsers(ctx, &res); err != nil {
		return res, err
	}
	return res, nil
}

func (s *Service) reconcileProvisioning(ctx context.Context, res *ReconcileResult) error {
	stuck, err := s.Store.InState(ctx, StateProvisioning)
	if err != nil {
		return fmt.Errorf("find provisioning requests: %w", err)
	}
	for _, r := range stuck {
		now := s.now()
		if s.leased(ctx, r, now) {
			continue // this run, or a live replica, is creating it right now
		}
		// Take it over, so no other sweep does the same work twice. The grant stays
		// recorded until its API user is confirmed gone, so it always has an end.
		owner, lease := r.ProvisionedBy, r.LeaseUntil
		r, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateProvisioning || r.ProvisionedBy != owner || !r.LeaseUntil.Equal(lease) {
				return Change{}, errNotDue
			}
			s.claim(r)
			return Change{Audit: []AuditEvent{s.event(r, Actor, "reprovision", r.State, "cakegate stopped, or its lease ran out, while creating the API user; cleaning up")}}, nil
		})
		if err != nil {
			if !errors.Is(err, errNotDue) {
				res.Errors++
			}
			continue
		}
		if err := s.undoHalfMade(ctx, r, r.Grant); err != nil {
			s.log().Warn("reconcile: clean up a half-made API user", "request", r.ID.String(), "err", err)
			s.releaseProvisioning(ctx, r.ID)
			res.Errors++
			continue
		}
		if r.Halted {
			// Revoked while it was being made: its API user is gone, so it ends here.
			if _, err := s.endHalted(ctx, r.ID); err != nil {
				res.Errors++
				continue
			}
			res.Revoked++
			continue
		}
		if r.Grant != nil && !now.Before(r.Grant.ExpiresAt) {
			if _, err := s.fail(ctx, r.ID, "cakegate could not finish creating the token before its time ran out; please ask again"); err != nil {
				res.Errors++
				continue
			}
			res.Failed++
			continue
		}
		// A recorded grant means its token may have left before cakegate stopped.
		if _, err := s.unreveal(ctx, r.ID, "", StoppedWhileCreating, r.Grant != nil); err != nil {
			res.Errors++
			continue
		}
		res.Reopened++
	}
	return nil
}

// undoHalfMade deletes what a crash during provisioning may have left in Datacake: the API
// user recorded before the crash, and any with the request's name.
func (s *Service) undoHalfMade(ctx context.Context, r *Request, half *Grant) error {
	if half != nil {
		if err := s.deleteConfirmed(ctx, r.Workspace, half.APIUserID); err != nil {
			return err
		}
	}
	if err := s.deleteByName(ctx, r.Workspace, APIUserName(s.Installation, r.ID, r.Requester)); err != nil {
		return err
	}
	// A request made before installation ids may have left an API user of the old name.
	// One made since cannot have: an API user of the old name is then another cakegate's
	// (one from before installation ids, on the same workspace), and not ours to delete.
	if !s.InstalledAt.IsZero() && !r.CreatedAt.Before(s.InstalledAt) {
		return nil
	}
	return s.deleteByName(ctx, r.Workspace, APIUserName("", r.ID, r.Requester))
}

// releaseProvisioning gives up this run's claim on a provisioning request, so a later
// reconcile tries again. Its recorded grant, if any, stays, so expiry can still end it.
func (s *Service) releaseProvisioning(ctx context.Context, id RequestID) {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StateProvisioning {
			return Change{}, errNotDue
		}
		r.ProvisionedBy, r.LeaseUntil = "", time.Time{}
		return Change{}, nil
	})
	if err != nil && !errors.Is(err, errNotDue) {
		s.log().Error("reconcile: release a request", "request", id.String(), "err", err)
	}
}

func (s *Service) reconcileAPIUsers(ctx context.Context, res *ReconcileResult) error {
	listedAt := s.now()
	// Every API user, not only those named by a cakegate: adopted ones have any name.
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, "")
	if err != nil {
		return fmt.Errorf("list API users: %w", err)
	}
	exists := make(map[string]bool, len(users))
	names := make(map[string]string, len(users))
	for _, u := range users {
		exists[u.ID], names[u.ID] = true, u.Name
	}
	// Who holds each API user, read after the list: one read for the counts, the orphans
	// and the second adoptions a stop left.
	if all, err := s.allHolders(ctx); err != nil {
		res.Errors++ // the orphans are judged on the next run
	} else {
		held := firstHolders(all)
		s.noteAccessCounts(users, held, listedAt)
		mine, foreign, errs := s.orphans(ctx, users, held, listedAt)
		res.Errors += errs
		for _, o := range foreign {
			s.reportForeign(ctx, o, res)
		}
		s.handleOrphans(ctx, mine, res)
		s.closeLaterAdoptions(ctx, all, res)
	}

	active, err := s.Store.InState(ctx, StateActive)
	if err != nil {
		return fmt.Errorf("find active grants: %w", err)
	}
	for _, r := range active {
		// A grant recorded after the list was read may be missing from it for that reason
		// alone.
		if r.Grant != nil && exists[r.Grant.APIUserID] && r.Adopted != nil && names[r.Grant.APIUserID] != r.Grant.APIUserName {
			s.closeRenamed(ctx, r, names[r.Grant.APIUserID], listedAt, res)
			continue
		}
		if r.Grant == nil || exists[r.Grant.APIUserID] || !r.Grant.CreatedAt.Before(listedAt) {
			continue
		}
		r, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			from := r.State
			if r.Grant == nil || exists[r.Grant.APIUserID] {
				return Change{}, errNotDue
			}
			if err := moveTo(r, StateRevoking, "revoke"); err != nil {
				return Change{}, err
			}
			r.Grant.Ending = StateRevoked
			r.DecidedBy, r.DecidedAt, r.UpdatedAt = Actor, s.now(), s.now()
			r.DecisionNote = "its API user was deleted in the Datacake portal"
			r.Extension = nil
			return Change{Audit: []AuditEvent{s.event(r, Actor, "vanished", from, "API user "+r.Grant.APIUserID+" no longer exists in Datacake")}}, nil
		})
		if err != nil {
			if !errors.Is(err, errNotDue) {
				res.Errors++
			}
			continue
		}
		if _, err := s.finishRevoke(ctx, r); err != nil {
			res.Errors++
			continue
		}
		res.Vanished++
	}
	return nil
}

// journal records an event that belongs to no request, with an alert to the approvers and
// any further notifications.
func (s *Service) journal(ctx context.Context, actor, action, detail, alert string, more ...Notification) {
	s.log().Warn("reconcile: "+action, "detail", detail)
	if s.Journal == nil {
		return
	}
	c := Change{
		Audit:  []AuditEvent{{At: s.now(), Actor: actor, Action: action, Detail: detail}},
		Outbox: append([]Notification{{Kind: NotifyApprovers, Text: alert, CreatedAt: s.now(), Urgent: true}}, more...),
	}
	if err := s.Journal.Record(ctx, c); err != nil {
		s.log().Error("record "+action, "err", err)
	}
}
