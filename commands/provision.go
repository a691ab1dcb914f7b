package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// provision turns a request its requester is revealing (state provisioning) into an active
// grant: it creates the API user, records it, shows the token with show (the modal the
// requester's click opened) and marks the request active. Every network call happens
// between store transactions, never inside one.
//
// If the API user cannot be created, any half-made one is looked up by name and deleted
// before the request is marked failed. If the token cannot be shown, the API user is
// deleted and the request goes back to approved, so the Reveal button works again: a token
// nobody saw must not exist.
//
// Once the API user exists, the work runs on a context of its own (bookkeeping), so a
// click whose context ends does not strand it. The grant, with its end, is recorded before
// the token leaves: from then on expiry and revoke can end it whatever later writes do, and
// if the request is never marked active, reconcile takes it over when the lease runs out.
// The grant's clock starts here, when the token is revealed; a re-issue keeps the end the
// first reveal fixed.
func (s *Service) provision(ctx context.Context, r *Request, show ShowToken) (*Request, error) {
	name := APIUserName(s.Installation, r.ID, r.Requester)
	spec := APIUserSpec{
		Workspace:            r.Workspace,
		Name:                 name,
		WorkspacePermissions: r.WorkspacePermissions,
		DevicePermissions:    r.DevicePermissions,
	}
	for _, d := range r.Devices {
		spec.DeviceIDs = append(spec.DeviceIDs, d.ID)
	}
	lease := r.LeaseUntil

	user, token, err := s.Datacake.CreateAPIUser(ctx, spec)
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err != nil {
		s.log().Warn("create API user failed", "request", r.ID.String(), "err", err)
		if cerr := s.deleteByName(bctx, r.Workspace, name); cerr != nil {
			// Datacake may hold an API user cakegate cannot see now. Leave the request in
			// provisioning: reconcile finishes it once Datacake answers.
			s.log().Error("clean up after failed create", "request", r.ID.String(), "err", cerr)
			s.releaseProvisioning(bctx, r.ID)
			return r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("%s is approved, but Datacake did not answer. cakegate will finish or undo it when Datacake is back.", r.ID), Err: err}
		}
		failed, ferr := s.fail(bctx, r.ID, "Datacake could not create the API user: "+describe(err))
		if ferr != nil {
			return r, ferr
		}
		return failed, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("%s is approved, but Datacake could not create the API user, so it failed: %s. Ask again later.", r.ID, Escape(describe(err))), Err: err}
	}

	// Record the API user and its end before the token leaves, so a crash or a failed
	// write from here on leaves an id that expiry, revoke and reconcile can delete.
	now := s.now()
	r, err = s.Store.Update(bctx, r.ID, func(r *Request) (Change, error) {
		if r.State != StateProvisioning || !r.LeaseUntil.Equal(lease) {
			return Change{}, wrongState(r, "provision") // taken over meanwhile
		}
		g := &Grant{APIUserID: user.ID, APIUserName: user.Name, CreatedAt: now, ExpiresAt: now.Add(r.Duration), Fingerprint: Fingerprint(token.Reveal())}
		switch {
		case r.Grant != nil && !r.RevealedAt.IsZero(): // a re-issue: same end, same reminders
			g.ExpiresAt, g.RemindersSent = r.Grant.ExpiresAt, r.Grant.RemindersSent
		case !r.EndsAt.IsZero():
			g.ExpiresAt = r.EndsAt
		case !r.StartAt.IsZero() && r.StartAt.Add(r.Duration).Before(g.ExpiresAt):
			// A scheduled grant ends at its start + duration, whenever it is revealed.
			g.ExpiresAt = r.StartAt.Add(r.Duration)
		}
		r.Grant = g
		if r.Halted {
			// Revoked while it was being made: recorded only to be deleted.
			return s.halt(r)
		}
		return Change{}, nil
	})
	if err != nil {
		s.deleteQuietly(bctx, spec.Workspace, user.ID)
		return r, err
	}
	if s.Waker != nil {
		s.Waker.Wake()
	}
	if r.State == StateProvisioning && s.requesterLeft(bctx, r) {
		// Deactivated since the click: nobody may see this token.
		r, err = s.Store.Update(bctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateProvisioning || r.Grant == nil || r.Grant.APIUserID != user.ID {
				return Change{}, wrongState(r, "provision")
			}
			r.Halted, r.DecidedBy, r.DecidedAt, r.DecisionNote = true, Actor, s.now(), DeactivatedReason
			return s.halt(r)
		})
		if err != nil {
			return r, err
		}
	}
	if r.State == StateRevoking {
		ended, err := s.finishRevoke(bctx, r)
		if err != nil {
			return r, err
		}
		return ended, Errorf(CodeWrongState, "%s was revoked by %s while its token was being made, so cakegate deleted it before anyone saw it.%s", r.ID, who(r.DecidedBy), noteOf(r))
	}
	// From here on, the token posted anywhere cakegate reads is revoked.
	s.leaks.add(r.Grant.Fingerprint, r.ID)

	if err := show(ctx, r, token); err != nil {
		s.log().Warn("token not shown", "request", r.ID.String(), "err", err)
		// A token nobody saw must not exist: be sure it is gone, then let Reveal work again.
		if derr := s.deleteConfirmed(bctx, r.Workspace, user.ID); derr != nil {
			s.log().Error("delete unseen API user", "request", r.ID.String(), "err", derr)
			s.releaseProvisioning(bctx, r.ID)
			return r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("%s: cakegate could not show you the token and Datacake did not confirm deleting it; cakegate will delete it, then Reveal works again.", r.ID), Err: err}
		}
		back, berr := s.unreveal(bctx, r.ID, user.ID, "the token could not be shown: "+describe(err), false)
		if berr != nil {
			return r, berr
		}
		return back, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("cakegate could not show you the token of %s, so it deleted it. Click Reveal token again.", r.ID), Err: err}
	}

	return s.Store.Update(bctx, r.ID, func(r *Request) (Change, error) {
		from := r.State
		if r.State == StateProvisioning && (r.Grant == nil || r.Grant.APIUserID != user.ID) {
			return Change{}, wrongState(r, "activate") // taken over meanwhile
		}
		if err := moveTo(r, StateActive, "activate"); err != nil {
			return Change{}, err
		}
		r.UpdatedAt = s.now()
		r.LeaseUntil = time.Time{}
		action := "revealed"
		if !r.RevealedAt.IsZero() {
			action = "reissued"
		} else {
			r.RevealedAt = r.Grant.CreatedAt
		}
		r.EndsAt = time.Time{}
		c := Change{
			Audit:  []AuditEvent{s.event(r, r.Requester, action, from, fmt.Sprintf("API user %s (%s) until %s", user.Name, user.ID, when(r.Grant)))},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, "")},
		}
		if r.TokenInDM {
			// A re-issue of a grant whose old token a direct message still shows.
			c.Outbox = append(c.Outbox, s.notify(r, NotifyScrubTokenDM, ""))
			r.TokenInDM = false
		}
		return c, nil
	})
}

// halt moves r, provisioning with its grant just recorded and Halted, to revoking: its API
// user is deleted before its token is shown. It is called inside a Store.Update.
func (s *Service) halt(r *Request) (Change, error) {
	from := r.State
	if err := moveTo(r, StateRevoking, "revoke"); err != nil {
		return Change{}, err
	}
	r.Grant.Ending = StateRevoked
	r.ProvisionedBy, r.LeaseUntil, r.UpdatedAt = "", time.Time{}, s.now()
	return Change{Audit: []AuditEvent{s.event(r, Actor, "halted", from, "revoked by "+r.DecidedBy+" while its token was being made; its API user is deleted unseen")}}, nil
}

// requesterLeft reports whether r's requester is recorded as deactivated. When the store
// cannot say, it says no: MarkDeactivated writes the record before it looks at the
// requests, so a request this misses is one it finds.
func (s *Service) requesterLeft(ctx context.Context, r *Request) bool {
	_, gone, err := s.Store.DeactivatedAt(ctx, r.Requester)
	if err != nil {
		s.log().Warn("read whether a requester was deactivated", "request", r.ID.String(), "err", err)
	}
	return gone
}

// noteOf is " Reason: …" for a request's decision note, or "".
func noteOf(r *Request) string {
	switch r.DecisionNote {
	case "":
		return ""
	case DeactivatedReason:
		return " Its requester's Slack account was deactivated."
	}
	return " Reason: " + Escape(r.DecisionNote)
}

// fail marks a provisioning request failed with a reason people can act on.
func (s *Service) fail(ctx context.Context, id RequestID, reason string) (*Request, error) {
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from := r.State
		if r.State == StateProvisioning && r.ProvisionedBy != s.instanceID() {
			return Change{}, wrongState(r, "provision") // another run took it over meanwhile
		}
		if err := moveTo(r, StateFailed, "fail"); err != nil {
			return Change{}, err
		}
		r.FailureReason, r.UpdatedAt = reason, s.now()
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, "failed", from, reason)},
			Outbox: []Notification{
				s.urgent(r, NotifyApprovalUpdate, ""),
				s.urgent(r, NotifyRequester, fmt.Sprintf(":warning: %s was approved but could not be completed: %s", r.ID, Escape(reason))),
			},
		}, nil
	})
}

// deleteByName deletes every API user with exactly this name: what a create whose outcome
// is unknown may have left behind.
func (s *Service) deleteByName(ctx context.Context, workspace, name string) error {
	users, err := s.Datacake.FindAPIUsers(ctx, workspace, name)
	if err != nil {
		return fmt.Errorf("find API user %s: %w", name, err)
	}
	for _, u := range users {
		if u.Name != name {
			continue
		}
		if err := s.deleteConfirmed(ctx, workspace, u.ID); err != nil {
			return fmt.Errorf("delete API user %s: %w", u.ID, err)
		}
	}
	return nil
}

func (s *Service) deleteQuietly(ctx context.Context, workspace, id string) {
	if err := s.deleteConfirmed(ctx, workspace, id); err != nil {
		s.log().Error("delete API user", "api_user", id, "err", err)
	}
}

// describe gives the user-facing part of an error: the message of an Error, or the error
// text of a dependency (which never carries a secret: the Datacake client guarantees it).
func describe(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}
