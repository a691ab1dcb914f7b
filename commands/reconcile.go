package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReconcileResult counts what one reconcile did.
type ReconcileResult struct {
	Reprovisioned   int // provisioning requests a crash interrupted, provisioned afresh
	Failed          int // … or given up on
	Revoked         int // revocations a crash interrupted, finished
	Vanished        int // grants whose API user was deleted in the Datacake portal
	OrphansDeleted  int // API users named by cakegate that no grant owns
	OrphansReported int
	Errors          int // left for the next run
}

// ReprovisionWithin is how long after its approval a request that a crash left half
// provisioned is provisioned afresh; an older one is marked failed, since the requester
// has likely moved on.
const ReprovisionWithin = 24 * time.Hour

// Reconcile brings cakegate's records and Datacake back in line after a crash or a change
// made in the Datacake portal. It runs at start and on the policy's schedule:
//   - a request left in provisioning (the process died after asking Datacake to create its
//     API user) has any half-made API user deleted, found by id and by name, and is
//     provisioned afresh with a new token DM'd, or marked failed if its approval is old;
//   - a request left in revoking has its revocation finished;
//   - an API user named cakegate-r… that no active grant owns is deleted (or only reported,
//     if the policy says orphans: report);
//   - an active grant whose API user no longer exists in Datacake is marked revoked, and its
//     requester told.
func (s *Service) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	if err := s.reconcileProvisioning(ctx, &res); err != nil {
		return res, err
	}
	revoking, err := s.Store.InState(ctx, StateRevoking)
	if err != nil {
		return res, fmt.Errorf("find revoking requests: %w", err)
	}
	for _, r := range revoking {
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
	me := s.instanceID()
	for _, r := range stuck {
		if r.ProvisionedBy == me {
			continue // this run is creating it right now
		}
		// Take it over, so no other sweep of this run does the same work twice.
		crashed := r.ProvisionedBy
		half := r.Grant
		r, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateProvisioning || r.ProvisionedBy != crashed {
				return Change{}, errNotDue
			}
			r.ProvisionedBy, r.Grant = me, nil
			return Change{Audit: []AuditEvent{s.event(r, Actor, "reprovision", r.State, "cakegate stopped while creating the API user; cleaning up")}}, nil
		})
		if err != nil {
			if !errors.Is(err, errNotDue) {
				res.Errors++
			}
			continue
		}
		if err := s.undoHalfMade(ctx, r, half); err != nil {
			s.log().Warn("reconcile: clean up a half-made API user", "request", r.ID.String(), "err", err)
			s.releaseProvisioning(ctx, r.ID, half)
			res.Errors++
			continue
		}
		if s.now().Sub(r.DecidedAt) > ReprovisionWithin {
			if _, err := s.fail(ctx, r.ID, "cakegate stopped while creating the token, and the approval is too old to finish now; please ask again"); err != nil {
				res.Errors++
				continue
			}
			res.Failed++
			continue
		}
		if _, err := s.provision(ctx, r); err != nil {
			res.Errors++
			continue
		}
		res.Reprovisioned++
	}
	return nil
}

// undoHalfMade deletes what a crash during provisioning may have left in Datacake: the API
// user recorded before the crash, and any with the request's name.
func (s *Service) undoHalfMade(ctx context.Context, r *Request, half *Grant) error {
	if half != nil {
		if err := s.deleteGone(ctx, half.APIUserID); err != nil {
			return err
		}
	}
	return s.deleteByName(ctx, r.Workspace, APIUserName(r.ID, r.Requester))
}

// releaseProvisioning gives a request taken over by reconcile back, with its half-made grant,
// so a later run tries again.
func (s *Service) releaseProvisioning(ctx context.Context, id RequestID, half *Grant) {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StateProvisioning {
			return Change{}, errNotDue
		}
		r.ProvisionedBy, r.Grant = "", half
		return Change{}, nil
	})
	if err != nil && !errors.Is(err, errNotDue) {
		s.log().Error("reconcile: release a request", "request", id.String(), "err", err)
	}
}

func (s *Service) reconcileAPIUsers(ctx context.Context, res *ReconcileResult) error {
	listedAt := s.now()
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, APIUserPrefix)
	if err != nil {
		return fmt.Errorf("list API users: %w", err)
	}
	exists := make(map[string]bool, len(users))
	for _, u := range users {
		exists[u.ID] = true
		id, ok := RequestIDFromAPIUserName(u.Name)
		if !ok {
			continue
		}
		r, err := s.Store.Get(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			res.Errors++
			continue
		}
		if r != nil {
			switch {
			case r.State == StateProvisioning:
				continue // being created now, or handled above
			case (r.State == StateActive || r.State == StateRevoking) && r.Grant != nil && r.Grant.APIUserID == u.ID:
				continue // owned
			}
		}
		s.handleOrphan(ctx, u, r, res)
	}

	active, err := s.Store.InState(ctx, StateActive)
	if err != nil {
		return fmt.Errorf("find active grants: %w", err)
	}
	for _, r := range active {
		// A grant recorded after the list was read may be missing from it for that reason
		// alone.
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

// handleOrphan deletes or reports an API user cakegate named but no grant owns. r is the
// request its name points to, if that exists.
func (s *Service) handleOrphan(ctx context.Context, u APIUser, r *Request, res *ReconcileResult) {
	what := fmt.Sprintf("API user %s (%s)", Escape(u.Name), Escape(u.ID))
	if r != nil {
		what += fmt.Sprintf(", made for %s which is %s", r.ID, r.State)
	} else {
		what += ", made for a request this cakegate has no record of"
	}
	if s.Policy.Orphans == OrphansReport {
		if _, seen := s.reportedOrphans.LoadOrStore(u.ID, struct{}{}); seen {
			return
		}
		s.journal(ctx, "orphan_found", what, fmt.Sprintf(":warning: %s is no grant's, but it exists in Datacake and its token works. Delete it in the Datacake portal if nobody needs it (the policy says orphans: report).", what))
		res.OrphansReported++
		return
	}
	if err := s.deleteGone(ctx, u.ID); err != nil {
		s.log().Warn("reconcile: delete orphaned API user", "api_user", u.ID, "err", err)
		res.Errors++
		return
	}
	s.journal(ctx, "orphan_deleted", what, fmt.Sprintf("cakegate deleted %s: no grant owned it.", what))
	res.OrphansDeleted++
}

// journal records an event that belongs to no request, with an alert to the approvers.
func (s *Service) journal(ctx context.Context, action, detail, alert string) {
	s.log().Warn("reconcile: "+action, "detail", detail)
	if s.Journal == nil {
		return
	}
	c := Change{
		Audit:  []AuditEvent{{At: s.now(), Actor: Actor, Action: action, Detail: detail}},
		Outbox: []Notification{{Kind: NotifyApprovers, Text: alert, CreatedAt: s.now(), Urgent: true}},
	}
	if err := s.Journal.Record(ctx, c); err != nil {
		s.log().Error("record "+action, "err", err)
	}
}
