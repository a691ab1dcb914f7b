package commands

import (
	"context"
	"fmt"
	"time"
)

// ShowToken shows a freshly created token to its requester: the transport updates the
// modal the requester's Reveal click opened. It is the one way a token leaves cakegate; it
// is never stored, queued or posted. An error means the requester may not have seen it, so
// the API user is deleted.
type ShowToken func(ctx context.Context, r *Request, token Token) error

// MayReveal returns request id if user may click its Reveal button now: they asked for it,
// and it is approved (Reveal) or active (the click offers Re-issue). Anything else gets an
// error fit to show the clicker. It makes no network call, so the transport can answer
// within Slack's 3 seconds before deciding which modal to open.
func (s *Service) MayReveal(ctx context.Context, id RequestID, user string) (*Request, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester != user {
		return nil, Errorf(CodeNotAllowed, "only %s, who asked for %s, can reveal its token.", Mention(r.Requester), id)
	}
	switch r.State {
	case StateApproved:
		if !s.now().Before(r.RevealBy) {
			return nil, Errorf(CodeWrongState, "%s was not revealed in time, so its approval lapsed; ask again with `/cakegate request`.", id)
		}
		if r.scheduled(s.now()) {
			return nil, notStartedYet(r)
		}
		return r, nil
	case StateActive:
		if r.Reissues >= s.Policy.MaxReissues {
			return nil, Errorf(CodeNotAllowed, "the token of %s was re-issued %d time(s) already, the most the policy allows; ask again with `/cakegate request`.", id, r.Reissues)
		}
		return r, nil
	}
	return nil, wrongState(r, "reveal")
}

// Reveal creates the API user of an approved request and shows its token to user, its
// requester, with show. The grant's clock starts now. On success the request is active; if
// the token could not be shown the API user is deleted and the request is approved again.
func (s *Service) Reveal(ctx context.Context, id RequestID, user string, show ShowToken) (*Request, error) {
	r, err := s.MayReveal(ctx, id, user)
	if err != nil {
		return nil, err
	}
	// A role the policy no longer allows, as it was approved, is not granted.
	if err := s.dropUngrantable(ctx, r); err != nil {
		return nil, err
	}
	r, err = s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.Requester != user {
			return Change{}, Errorf(CodeNotAllowed, "only %s, who asked for %s, can reveal its token.", Mention(r.Requester), id)
		}
		if r.State == StateApproved && !s.now().Before(r.RevealBy) {
			return Change{}, Errorf(CodeWrongState, "%s was not revealed in time, so its approval lapsed; ask again with `/cakegate request`.", id)
		}
		from := r.State
		if r.State != StateApproved {
			return Change{}, wrongState(r, "reveal")
		}
		if r.scheduled(s.now()) {
			return Change{}, notStartedYet(r)
		}
		if err := moveTo(r, StateProvisioning, "reveal"); err != nil {
			return Change{}, err
		}
		r.UpdatedAt = s.now()
		s.claim(r)
		return Change{Audit: []AuditEvent{s.event(r, user, "reveal", from, "")}}, nil
	})
	if err != nil {
		return r, err
	}
	return s.provision(ctx, r, show)
}

// Reissue replaces the token of an active grant: its API user is deleted, a new one created
// and shown to user, its requester, with show. The grant keeps its end. It is the answer to
// "I lost my token", limited per grant by the policy's max_reissues.
func (s *Service) Reissue(ctx context.Context, id RequestID, user string, show ShowToken) (*Request, error) {
	shown, err := s.MayReveal(ctx, id, user)
	if err != nil {
		return nil, err
	}
	// The policy in force decides, with Slack's user groups as they are now: asked before
	// the write, which may make no call.
	_, why, _, err := s.whyNotGrantable(ctx, shown)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from := r.State
		if r.State != StateActive || r.Requester != user {
			return Change{}, wrongState(r, "re-issue")
		}
		if r.Adopted != nil {
			return Change{}, Errorf(CodeNotAllowed, "%s is an adopted API user: cakegate never had its token, so it cannot make a new one. Ask for a token with `/cakegate request` instead.", id)
		}
		if why != "" {
			// A new API user would carry what the policy no longer grants.
			return Change{}, Errorf(CodeNotAllowed, "%s cannot be re-issued: %s. Its token still works until %s; ask for a new one with `/cakegate request` if you need it.", id, why, when(r.Grant))
		}
		if r.Reissues >= s.Policy.MaxReissues {
			return Change{}, Errorf(CodeNotAllowed, "the token of %s was re-issued %d time(s) already, the most the policy allows.", id, r.Reissues)
		}
		if err := moveTo(r, StateProvisioning, "re-issue"); err != nil {
			return Change{}, err
		}
		r.Reissues++
		r.UpdatedAt = s.now()
		s.claim(r)
		return Change{Audit: []AuditEvent{s.event(r, user, "reissue", from, fmt.Sprintf("re-issue %d of %d; deleting API user %s", r.Reissues, s.Policy.MaxReissues, r.Grant.APIUserID))}}, nil
	})
	if err != nil {
		return r, err
	}
	// The old token dies before the new one exists. If the delete is not confirmed the
	// request stays provisioning with its old grant recorded; reconcile finishes the job.
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := s.deleteConfirmed(bctx, r.Workspace, r.Grant.APIUserID); err != nil {
		s.log().Warn("re-issue: delete the old API user", "request", r.ID.String(), "err", err)
		s.releaseProvisioning(bctx, r.ID)
		return r, &Error{Code: CodeUnavailable, Message: fmt.Sprintf("Datacake did not confirm deleting the old token of %s; cakegate keeps trying. Click Reveal token again in a few minutes.", id), Err: err}
	}
	return s.provision(ctx, r, show)
}

// unreveal moves a provisioning request whose API user is gone back to approved, so its
// Reveal button works again, and tells the requester. apiUser, if not empty, is the API
// user that must still be the recorded one (nobody took the request over meanwhile). A
// request whose token was revealed before (a re-issue), or may have been (shown is true: a
// grant was recorded, and then nobody could tell whether its token left), keeps its end
// and the start of its life: it may be revealed until then, and never for longer.
func (s *Service) unreveal(ctx context.Context, id RequestID, apiUser, why string, shown bool) (*Request, error) {
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from := r.State
		if r.State != StateProvisioning || (apiUser != "" && (r.Grant == nil || r.Grant.APIUserID != apiUser)) {
			return Change{}, wrongState(r, "reveal")
		}
		if r.ProvisionedBy != s.instanceID() {
			return Change{}, wrongState(r, "reveal") // another run took it over meanwhile
		}
		if err := moveTo(r, StateApproved, "reveal"); err != nil {
			return Change{}, err
		}
		// What the requester is told: a token that may have reached their screen is not
		// one they "could not see".
		told := ":warning: The token of %s was deleted before you could see it (%s). Click *Reveal token* in the approval message again; you can until %s."
		if r.Grant != nil && (shown || !r.RevealedAt.IsZero()) {
			if r.RevealedAt.IsZero() {
				r.RevealedAt = r.Grant.CreatedAt
			}
			r.EndsAt = r.Grant.ExpiresAt
			r.RevealBy = r.EndsAt
			if shown {
				told = ":warning: The token of %s was deleted (%s); if it was shown to you, it no longer works. Click *Reveal token* in the approval message again for a new one; you can until %s."
			}
		}
		if r.RevealBy.IsZero() {
			r.RevealBy = s.now().Add(s.Policy.RevealWindow())
		}
		r.Grant = nil
		r.ProvisionedBy, r.LeaseUntil, r.UpdatedAt = "", time.Time{}, s.now()
		return Change{
			Audit:  []AuditEvent{s.event(r, Actor, "unrevealed", from, why)},
			Outbox: []Notification{s.notify(r, NotifyRequester, fmt.Sprintf(told, r.ID, why, r.RevealBy.UTC().Format("2006-01-02 15:04 UTC")))},
		}, nil
	})
}

// RecordRevealMessage stores where the direct message with the Reveal token button of
// request id was posted, so later changes update it.
func (s *Service) RecordRevealMessage(ctx context.Context, id RequestID, m MessageRef) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		r.RevealMessage = m
		return Change{}, nil
	})
	return err
}

// approve moves r (pending) to approved: its requester is sent the Reveal button and has
// the policy's reveal_within to click it. It is called inside a Store.Update.
func (s *Service) approve(r *Request, by string, now time.Time) (Notification, error) {
	if err := moveTo(r, StateApproved, "approve"); err != nil {
		return Notification{}, err
	}
	r.DecidedBy, r.DecidedAt, r.UpdatedAt = by, now, now
	if !r.StartAt.IsZero() && !now.Before(r.StartAt) {
		// Decided after its start: it starts now, and its requester can reveal at once.
		r.StartAt, r.StartTold = now, true
	}
	r.RevealBy = s.revealDeadline(r, now)
	return s.notify(r, NotifyReveal, ""), nil
}
