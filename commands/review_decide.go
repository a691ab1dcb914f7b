package commands

import (
	"context"
	"errors"
	"fmt"
)

// ReviewChoice is what an approver clicked on a review item.
type ReviewChoice string

// The choices a review offers.
const (
	ChoiceKeep   ReviewChoice = "keep"   // unmanaged: keep until the next review; grant: re-certify
	ChoiceDelete ReviewChoice = "delete" // unmanaged: delete it now
	ChoiceRevoke ReviewChoice = "revoke" // grant: revoke it now
	ChoiceAdopt  ReviewChoice = "adopt"  // unmanaged: give it an owner and an end (Adopt)
)

// errDecided refuses a second decision on one item inside UpdateReview.
var errDecided = errors.New("decided already")

// DecideReview carries out user's choice on item index of review id, whose API user must
// be apiUserID (what the button showed), records it with its audit event, and brings the
// review's message up to date. An item whose API user is gone is recorded as gone, and the
// answer says so. It returns what to tell user.
func (s *Service) DecideReview(ctx context.Context, id string, index int, apiUserID, user string, choice ReviewChoice) (string, error) {
	if s.Reviews == nil {
		return "", Errorf(CodeUnavailable, "this cakegate has nowhere to keep access reviews; an operator must check its store.")
	}
	rv, err := s.Reviews.GetReview(ctx, id)
	if errors.Is(err, ErrReviewNotFound) {
		return "", Errorf(CodeNotFound, "cakegate has no record of this review. Start a new one with `/cakegate review`.")
	}
	if err != nil {
		return "", err
	}
	if index < 0 || index >= len(rv.Items) || rv.Items[index].APIUserID != apiUserID {
		return "", Errorf(CodeInvalid, "this button does not match the review it is on. Start a new one with `/cakegate review`.")
	}
	it := rv.Items[index]
	if it.Decision != "" {
		return "", decidedAlready(it)
	}
	switch {
	case it.Class == ClassUnmanaged && choice == ChoiceKeep:
		return s.keepUnmanaged(ctx, rv, index, user)
	case it.Class == ClassUnmanaged && choice == ChoiceDelete:
		return s.deleteUnmanaged(ctx, rv, index, user)
	case it.Class != ClassUnmanaged && (choice == ChoiceKeep || choice == ChoiceRevoke):
		return s.decideGrant(ctx, rv, index, user, choice)
	}
	return "", Errorf(CodeInvalid, "this button does not fit %s. Start a new review with `/cakegate review`.", describeItem(it))
}

// decidedAlready tells who decided an item before.
func decidedAlready(it ReviewItem) error {
	if it.Decision == ReviewGone {
		return Errorf(CodeChanged, "%s is already gone: nothing to do.", describeItem(it))
	}
	return Errorf(CodeChanged, "%s was %s already by %s.", describeItem(it), it.Decision, who(it.DecidedBy))
}

// keepUnmanaged keeps an unmanaged API user until the next review, after checking it still
// exists.
func (s *Service) keepUnmanaged(ctx context.Context, rv *Review, index int, user string) (string, error) {
	if err := s.mayAnswer(ctx, rv, user); err != nil {
		return "", err
	}
	it := rv.Items[index]
	// In the API user's turn: a Keep recorded inside a Delete of it would say "kept" of an
	// API user that is gone.
	ctx, done, err := s.turn(ctx, apiUserTurn(it.APIUserID), func() error { return busyAPIUser(it) })
	if err != nil {
		return "", err
	}
	defer done()
	exists, err := s.apiUserExists(ctx, it.APIUserID)
	if err != nil {
		return "", err
	}
	if !exists {
		return s.recordGone(ctx, rv.ID, index, user)
	}
	if err := s.recordDecision(ctx, rv.ID, index, user, ReviewKept, "kept until the next review"); err != nil {
		return "", err
	}
	return fmt.Sprintf("Kept %s. Its token still works; the next review asks about it again.", describeItem(it)), nil
}

// deleteUnmanaged deletes an unmanaged API user on a top-level approver's confirmed click.
// The orphan brake holds here too: one review deletes at most orphans_brake of them (at
// least one), so a misread review cannot empty the workspace. The review's deletions take
// turns, and so do the clicks on one API user (turns.go): the brake counts every deletion,
// and nobody adopts the API user between the check that nobody holds it and its deletion.
func (s *Service) deleteUnmanaged(ctx context.Context, rv *Review, index int, user string) (string, error) {
	ok, err := s.inList(ctx, s.Policy.Approvers, user)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Errorf(CodeNotApprover, "only cakegate's approvers (%s) can delete API users cakegate did not make. Ask one of them, or choose Keep.", mentions(s.Policy.Approvers))
	}
	it := rv.Items[index]
	ctx, done, err := s.turn(ctx, reviewDeletesTurn(rv.ID), func() error {
		return Errorf(CodeChanged, "another deletion from this review is being carried out right now: the brake counts them one at a time. Click Delete again in a few seconds.")
	})
	if err != nil {
		return "", err
	}
	defer done()
	ctx, doneUser, err := s.turn(ctx, apiUserTurn(it.APIUserID), func() error { return busyAPIUser(it) })
	if err != nil {
		return "", err
	}
	defer doneUser()
	// Read again in the turn: what the click showed may have changed before it.
	if rv, err = s.Reviews.GetReview(ctx, rv.ID); err != nil {
		return "", err
	}
	if it = rv.Items[index]; it.Decision != "" {
		return "", decidedAlready(it)
	}
	if limit := max(s.Policy.OrphansBrake, 1); rv.deletedCount() >= limit {
		return "", Errorf(CodeNotAllowed, "this review has deleted %d API users already, as many as orphans_brake allows in one review. Check the rest, then start a new review with `/cakegate review` to delete more, or raise orphans_brake in the policy.", limit)
	}
	// Adopted since this review listed it (from another review): it has an owner and an
	// end now, and ends as a grant does.
	if held, err := s.heldBy(ctx, it.APIUserID); err != nil || held != nil {
		if err == nil {
			err = Errorf(CodeWrongState, "%s is %s's now (adopted since this review). Revoke %s to delete it.", describeItem(it), held.ID, held.ID)
		}
		return "", err
	}
	deleted, err := s.deleteIfExists(ctx, s.Policy.Workspace, it.APIUserID)
	if err != nil {
		s.log().Warn("access review: delete an API user", "review", rv.ID, "api_user", it.APIUserID, "err", err)
		return "", &Error{Code: CodeUnavailable, Message: fmt.Sprintf("cakegate could not delete %s in Datacake just now; it still exists. Please try again in a minute.", describeItem(it)), Err: err}
	}
	// Recorded on the bookkeeping clock: a deletion that took the turn's time must still be
	// recorded, and counted against the brake.
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	if !deleted {
		return s.recordGone(ctx, rv.ID, index, user)
	}
	if err := s.recordDecision(ctx, rv.ID, index, user, ReviewDeleted, "deleted: "+it.Origin); err != nil {
		// Deleted, but not recorded: the log keeps what the review could not.
		s.log().Error("access review: record a deletion", "review", rv.ID, "api_user", it.APIUserID, "by", user, "err", err)
		return "", err
	}
	return fmt.Sprintf("Deleted %s: its token no longer works.", describeItem(it)), nil
}

// busyAPIUser refuses a click on an API user that another click (or reconcile) is acting on
// right now.
func busyAPIUser(it ReviewItem) error {
	return Errorf(CodeChanged, "someone is acting on %s at this very moment. Click again in a few seconds.", describeItem(it))
}

// decideGrant re-certifies or revokes a grant, on the word of an approver of its role in
// the policy in force (a revoke, as any revoke, by its requester too).
func (s *Service) decideGrant(ctx context.Context, rv *Review, index int, user string, choice ReviewChoice) (string, error) {
	it := rv.Items[index]
	r, err := s.Store.Get(ctx, it.Request)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	if r == nil || r.Requester != user || choice != ChoiceRevoke {
		// Anyone who approves something may answer a review; a holder may revoke their own.
		if err := s.mayReview(ctx, user); err != nil {
			return "", err
		}
	}
	if r == nil || r.State != StateActive || r.Grant == nil || r.Grant.APIUserID != it.APIUserID {
		return s.recordGone(ctx, rv.ID, index, user)
	}
	if choice == ChoiceRevoke {
		if _, err := s.Revoke(ctx, r.ID, user, "revoked in an access review"); err != nil {
			return "", err
		}
		if err := s.recordDecision(ctx, rv.ID, index, user, ReviewRevoked, "revoked"); err != nil {
			return "", err
		}
		return fmt.Sprintf("Revoked %s: its token no longer works.", r.ID), nil
	}
	role, found := s.Policy.Role(r.Role)
	if !found {
		return "", Errorf(CodeUnknownRole, "role %s is no longer in cakegate's policy, so nobody can re-certify %s; revoke it instead.", r.Role, r.ID)
	}
	ok, err := s.isApprover(ctx, user, role)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Errorf(CodeNotApprover, "only the approvers of role %s (%s) can re-certify %s.", r.Role, mentions(s.Policy.ApproversOf(role)), r.ID)
	}
	if err := s.recordDecision(ctx, rv.ID, index, user, ReviewRecertified, "re-certified until "+r.Grant.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")); err != nil {
		return "", err
	}
	return fmt.Sprintf("Re-certified %s: it goes on until its end.", r.ID), nil
}

// recordGone records that an item's API user was gone when user clicked.
func (s *Service) recordGone(ctx context.Context, id string, index int, user string) (string, error) {
	if err := s.recordDecision(ctx, id, index, user, ReviewGone, "already gone"); err != nil && !errors.Is(err, errDecided) {
		return "", err
	}
	rv, err := s.Reviews.GetReview(ctx, id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is already gone: nothing to do. The review now says so.", describeItem(rv.Items[index])), nil
}

// recordDecision writes d on the item, with its audit event and the message's update, in
// one transaction; an item decided meanwhile keeps its first decision.
func (s *Service) recordDecision(ctx context.Context, id string, index int, user string, d ReviewDecision, detail string) error {
	now := s.now()
	var first ReviewItem
	_, err := s.Reviews.UpdateReview(ctx, id, func(rv *Review) (Change, error) {
		it := &rv.Items[index]
		if it.Decision != "" {
			first = *it
			return Change{}, errDecided
		}
		it.Decision, it.DecidedBy, it.DecidedAt = d, user, now
		return Change{
			Audit:  []AuditEvent{{At: now, Request: it.Request, Actor: user, Action: "review_" + string(d), Detail: "review " + id + ": " + describeItem(*it) + ": " + detail}},
			Outbox: []Notification{{Kind: NotifyReview, Review: id, CreatedAt: now}},
		}, nil
	})
	if errors.Is(err, errDecided) && d != ReviewGone {
		return decidedAlready(first)
	}
	return err
}

// apiUserExists lists the workspace's API users to see whether id is among them.
func (s *Service) apiUserExists(ctx context.Context, id string) (bool, error) {
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, "")
	if err != nil {
		return false, &Error{Code: CodeUnavailable, Message: "cakegate could not list Datacake's API users just now; please try again in a minute.", Err: err}
	}
	for _, u := range users {
		if u.ID == id {
			return true, nil
		}
	}
	return false, nil
}
