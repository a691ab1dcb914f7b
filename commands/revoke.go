package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Revoke ends an active grant before its expiry: the API user is deleted and the request
// becomes revoked. The requester ("I'm done") or an approver of the role may revoke. An
// approved request not yet revealed is withdrawn: it ends with no API user ever made, and
// its Reveal button stops working. One whose API user is being made right now is halted:
// the reveal deletes it as soon as it is recorded, before its token is shown.
func (s *Service) Revoke(ctx context.Context, id RequestID, user, reason string) (*Request, error) {
	reason = strings.TrimSpace(reason)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester != user {
		if _, err := s.requireApprover(ctx, user, r); err != nil {
			if ErrorCode(err) == CodeNotApprover {
				return nil, Errorf(CodeNotAllowed, "only %s, who asked for %s, or an approver of role %s can revoke it.", Mention(r.Requester), id, r.Role)
			}
			return nil, err
		}
	}
	r, err = s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if err := checkSeen(ctx, r); err != nil {
			return Change{}, err
		}
		from, now := r.State, s.now()
		switch {
		case r.State == StateApproved:
			return s.withdraw(r, user, reason)
		case r.State == StateProvisioning && r.Grant == nil && !r.Halted:
			r.Halted = true
			r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = user, now, reason, now
			return Change{Audit: []AuditEvent{s.event(r, user, "revoke", from, "while its token is being made")}}, nil
		}
		if err := moveTo(r, StateRevoking, "revoke"); err != nil {
			return Change{}, err
		}
		r.Grant.Ending = StateRevoked
		r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = user, now, reason, now
		r.Extension = nil
		return Change{Audit: []AuditEvent{s.event(r, user, "revoke", from, reason)}}, nil
	})
	if err != nil {
		return nil, err
	}
	if r.State != StateRevoking {
		return r, nil // withdrawn, or halted: nothing to delete (yet)
	}
	return s.finishRevoke(ctx, r)
}

// withdraw ends r, approved and not revealed, as revoked by user: no API user was ever made,
// and the Reveal button stops working. It is called inside a Store.Update.
func (s *Service) withdraw(r *Request, user, reason string) (Change, error) {
	from, now := r.State, s.now()
	if err := moveTo(r, StateRevoked, "revoke"); err != nil {
		return Change{}, err
	}
	r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = user, now, reason, now
	text := fmt.Sprintf(":no_entry: %s withdrew the approval of your request %s (role %s) before its token was revealed; no token was made, and its Reveal button no longer works.", who(user), r.ID, Escape(r.Role))
	if user == r.Requester {
		text = fmt.Sprintf(":no_entry: You withdrew your request %s (role %s) before its token was revealed; no token was made.", r.ID, Escape(r.Role))
	}
	if reason != "" {
		text += " Reason: " + Escape(reason)
	}
	return Change{
		Audit: []AuditEvent{s.event(r, user, "withdrawn", from, reason)},
		Outbox: []Notification{
			s.urgent(r, NotifyApprovalUpdate, ""),
			s.urgent(r, NotifyRequester, text+" Ask again with `/cakegate request` if you still need access."),
		},
	}, nil
}

// endHalted ends a halted request whose API user is confirmed gone (or was never made).
func (s *Service) endHalted(ctx context.Context, id RequestID) (*Request, error) {
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from := r.State
		if r.State != StateProvisioning || !r.Halted || r.ProvisionedBy != s.instanceID() {
			return Change{}, errNotDue // or another run took it over meanwhile
		}
		if err := moveTo(r, StateRevoked, "revoke"); err != nil {
			return Change{}, err
		}
		r.ProvisionedBy, r.LeaseUntil, r.UpdatedAt = "", time.Time{}, s.now()
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, "revoked", from, "revoked by "+r.DecidedBy+" while its token was being made; no token was shown")},
			Outbox: []Notification{
				s.urgent(r, NotifyApprovalUpdate, ""),
				s.urgent(r, NotifyRequester, fmt.Sprintf(":no_entry: %s was revoked by %s while its token was being made; no token was shown.%s", r.ID, who(r.DecidedBy), noteOf(r))),
			},
		}, nil
	})
}

// RevokeRetryBase is the first wait after a failed deletion; it doubles each time up to
// RevokeRetryMax.
const (
	RevokeRetryBase = time.Minute
	RevokeRetryMax  = time.Hour
	// RevokeAlertAfter failed deletions, the approvals channel is told.
	RevokeAlertAfter = 5
)

// finishRevoke deletes the API user of a revoking request and records the end: expired or
// revoked, as Grant.Ending says. The request is never marked ended before Datacake confirms
// the deletion (an API user already gone counts as confirmed); on failure it stays revoking
// with a later retry time, and the approvals channel is alerted after repeated failures.
func (s *Service) finishRevoke(ctx context.Context, r *Request) (*Request, error) {
	err := s.deleteConfirmed(ctx, r.Workspace, r.Grant.APIUserID)
	if err != nil {
		s.log().Warn("delete API user failed", "request", r.ID.String(), "err", err)
		r, uerr := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateRevoking {
				return Change{}, wrongState(r, "revoke")
			}
			r.Grant.RevokeAttempts++
			r.Grant.NextAttemptAt = s.now().Add(revokeBackoff(r.Grant.RevokeAttempts))
			c := Change{Audit: []AuditEvent{s.event(r, Actor, "revoke_failed", r.State, fmt.Sprintf("attempt %d: %s", r.Grant.RevokeAttempts, describe(err)))}}
			if r.Grant.RevokeAttempts == RevokeAlertAfter {
				c.Outbox = append(c.Outbox, s.urgent(r, NotifyApprovers, fmt.Sprintf(":warning: cakegate has failed %d times to delete API user %s of %s (%s). Its token still works; check Datacake or delete it in the portal.", r.Grant.RevokeAttempts, Escape(r.Grant.APIUserName), r.ID, Escape(describe(err)))))
			}
			return c, nil
		})
		if uerr != nil {
			return r, uerr
		}
		return r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("Datacake did not confirm deleting the API user of %s; cakegate keeps trying.", r.ID), Err: err}
	}
	ended, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		from := r.State
		end := r.Grant.Ending
		if end == "" {
			end = StateRevoked
		}
		if err := moveTo(r, end, "revoke"); err != nil {
			return Change{}, err
		}
		r.UpdatedAt = s.now()
		r.Grant.NextAttemptAt = time.Time{}
		text := fmt.Sprintf(":no_entry: Your token for %s (role %s) has been revoked by %s; the API user %s no longer exists.", r.ID, Escape(r.Role), who(r.DecidedBy), Escape(r.Grant.APIUserName))
		if r.DecisionNote != "" {
			text += " Reason: " + Escape(r.DecisionNote)
		}
		action := "revoked"
		if end == StateExpired {
			text = fmt.Sprintf(":no_entry: Your token for %s (role %s) has expired; the API user %s no longer exists. Ask again with `/cakegate request` if you still need access.", r.ID, Escape(r.Role), Escape(r.Grant.APIUserName))
			action = "expired"
		}
		c := Change{
			Audit:  []AuditEvent{s.event(r, Actor, action, from, "API user "+r.Grant.APIUserID+" deleted")},
			Outbox: []Notification{s.urgent(r, NotifyApprovalUpdate, ""), s.urgent(r, NotifyRequester, text)},
		}
		if r.TokenInDM {
			c.Outbox = append(c.Outbox, s.notify(r, NotifyScrubTokenDM, ""))
		}
		return c, nil
	})
	if err == nil && ended.Grant != nil {
		s.leaks.remove(ended.Grant.Fingerprint) // the token no longer works
	}
	return ended, err
}

func revokeBackoff(attempts int) time.Duration {
	d := RevokeRetryBase
	for i := 1; i < attempts && d < RevokeRetryMax; i++ {
		d *= 2
	}
	return min(d, RevokeRetryMax)
}

// who names a decider for people: a Slack mention, or cakegate itself.
func who(user string) string {
	if user == Actor {
		return "cakegate"
	}
	return Mention(user)
}

// deleteConfirmed deletes an API user and succeeds only when it is sure the API user is gone.
// Datacake may answer a delete of an API user that no longer exists in more than one way:
// ok:false, Django's "User matching query does not exist." without a code, or a form nobody
// has seen yet. So every failure except an unreachable or refusing Datacake (which a list
// would meet too) is settled by listing the workspace's API users: absent is done.
func (s *Service) deleteConfirmed(ctx context.Context, workspace, id string) error {
	_, err := s.deleteIfExists(ctx, workspace, id)
	return err
}

// deleteIfExists is deleteConfirmed that also says whether this delete removed the API
// user (deleted), or found it gone already.
func (s *Service) deleteIfExists(ctx context.Context, workspace, id string) (deleted bool, err error) {
	err = s.Datacake.DeleteAPIUser(ctx, id)
	if err == nil || unreachable(err) {
		return err == nil, err
	}
	users, lerr := s.Datacake.FindAPIUsers(ctx, workspace, "")
	if lerr != nil {
		return false, fmt.Errorf("Datacake did not delete API user %s (%w), and listing API users to see whether it is gone failed: %w", id, err, lerr)
	}
	for _, u := range users {
		if u.ID == id {
			return false, fmt.Errorf("Datacake did not delete API user %s, which still exists: %w", id, err)
		}
	}
	return false, nil
}

// unreachable reports whether err says Datacake could not be asked at all just now (a
// network failure, a 5xx or 429 that outlasted the retries, a refused token) or the caller
// gave up: a list would fail the same way, so there is nothing to confirm.
func unreachable(err error) bool {
	return ErrorCode(err) == CodeUnavailable || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
