package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AdoptedRole is the role of an adopted API user's record: a request cakegate did not
// grant, standing for an API user it did not make, so that it ends on time, its owner is
// reminded and may ask to extend it, and expiry deletes it, as for a grant. No policy role
// may take the name, and nobody can ask for it.
const AdoptedRole = "adopted"

// DefaultAdoptMax is adopt_max when the policy file names none.
const DefaultAdoptMax = 90 * 24 * time.Hour

// Adoption records that an approver gave an API user cakegate did not make an owner and an
// end. cakegate never had its token: leak response cannot recognise it.
type Adoption struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
	// Review is the access review it was adopted from, if any.
	Review string `json:"review,omitempty"`
	// Origin says who made it, as the review found.
	Origin string `json:"origin,omitempty"`
}

// AdoptLimit is the longest an adoption may run before it is extended (adopt_max).
func (p *Policy) AdoptLimit() time.Duration { return p.adoptMax() }

// adoptMax is the longest an adoption may run.
func (p *Policy) adoptMax() time.Duration {
	if p.AdoptMax > 0 {
		return p.AdoptMax
	}
	return DefaultAdoptMax
}

// adoptedRole is the role adopted API users' records are decided under: the policy's
// approvers approve their extensions, and their whole life stays within adopt_max.
func (p *Policy) adoptedRole() *Role {
	return &Role{
		Name:        AdoptedRole,
		Description: "API users made outside cakegate that an approver adopted",
		Devices:     DeviceScope{Any: true},
		MaxDuration: p.adoptMax(), DefaultDuration: p.adoptMax(),
		Approvals: 1,
	}
}

// AdoptInput is what the adopt form says.
type AdoptInput struct {
	Review    string
	Index     int
	APIUserID string
	By        string        // the approver adopting it
	Owner     string        // the Slack user who owns it from now on
	For       time.Duration // how long until cakegate deletes it
	Note      string
}

// The fields of the adopt form an error may be about.
const (
	FieldOwner = "owner"
	FieldNote  = "note"
)

// MayAdopt checks, without changing anything, that user may adopt item index of review id:
// a top-level approver, on an unmanaged item nobody decided on. The form asks it before it
// opens, so nobody fills it in only to be refused.
func (s *Service) MayAdopt(ctx context.Context, id string, index int, apiUserID, user string) (ReviewItem, error) {
	if s.Reviews == nil {
		return ReviewItem{}, Errorf(CodeUnavailable, "this cakegate has nowhere to keep access reviews; an operator must check its store.")
	}
	ok, err := s.inList(ctx, s.Policy.Approvers, user)
	if err != nil {
		return ReviewItem{}, err
	}
	if !ok {
		return ReviewItem{}, Errorf(CodeNotApprover, "only cakegate's approvers (%s) can adopt API users cakegate did not make. Ask one of them, or choose Keep.", mentions(s.Policy.Approvers))
	}
	rv, err := s.Reviews.GetReview(ctx, id)
	if errors.Is(err, ErrReviewNotFound) {
		return ReviewItem{}, Errorf(CodeNotFound, "cakegate has no record of this review. Start a new one with `/cakegate review`.")
	}
	if err != nil {
		return ReviewItem{}, err
	}
	if index < 0 || index >= len(rv.Items) || rv.Items[index].APIUserID != apiUserID || rv.Items[index].Class != ClassUnmanaged {
		return ReviewItem{}, Errorf(CodeInvalid, "this button does not match the review it is on. Start a new one with `/cakegate review`.")
	}
	it := rv.Items[index]
	if it.Decision != "" {
		return ReviewItem{}, decidedAlready(it)
	}
	return it, nil
}

// Adopt gives an unmanaged API user an owner and an end: from then on cakegate treats it as
// a grant of role AdoptedRole held by the owner (reminders, Extend, revoke, deletion at its
// end). It refuses an end past adopt_max, an owner who is not an active Slack user, and an
// API user that is gone (recording that in the review) or adopted already.
func (s *Service) Adopt(ctx context.Context, in AdoptInput) (*Request, error) {
	it, err := s.MayAdopt(ctx, in.Review, in.Index, in.APIUserID, in.By)
	if err != nil {
		return nil, err
	}
	limit := s.Policy.adoptMax()
	switch {
	case in.For <= 0:
		return nil, Errorf(CodeInvalid, "say how long until cakegate deletes it, like 30d (at most %s).", FormatDuration(limit)).about(FieldDuration)
	case in.For > limit:
		return nil, Errorf(CodeTooLong, "%s is past adopt_max: an adopted API user may live at most %s before it is extended. Choose %s or less.", FormatDuration(in.For), FormatDuration(limit), FormatDuration(limit)).about(FieldDuration)
	}
	in.Note = strings.TrimSpace(in.Note)
	if err := CheckText("note", in.Note); err != nil {
		return nil, err.(*Error).about(FieldNote)
	}
	if err := s.checkOwner(ctx, in.Owner); err != nil {
		return nil, err
	}
	// A deletion of the API user (from another review) takes turns with this adoption: it
	// must not fall between the check that nobody holds it and the record that does.
	ctx, done, err := s.turn(ctx, apiUserTurn(in.APIUserID), func() error { return busyAPIUser(it) })
	if err != nil {
		return nil, err
	}
	defer done()
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, "")
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Message: "cakegate could not list Datacake's API users just now; please try again in a minute.", Err: err}
	}
	i := slices.IndexFunc(users, func(u APIUser) bool { return u.ID == in.APIUserID })
	if i < 0 {
		if _, err := s.recordGone(ctx, in.Review, in.Index, in.By); err != nil {
			return nil, err
		}
		return nil, Errorf(CodeNotFound, "%s is already gone: nothing to adopt. The review now says so.", describeItem(it))
	}
	now := s.now()
	// Claim the review item first: of two clicks on it, one adopts.
	if err := s.claimAdoption(ctx, in, now, true); err != nil {
		return nil, err
	}
	r, err := s.createAdoption(ctx, in, it, users[i], now)
	if err != nil {
		// Taken back on its own clock: the form's may have run out, which is often why
		// the adoption failed, and the item would stay "adopted" with no record.
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		s.claimAdoption(bctx, in, now, false)
		return nil, err
	}
	if s.Waker != nil {
		s.Waker.Wake()
	}
	return r, nil
}

// createAdoption writes the adoption's record, unless an open request holds the API user
// already. Adopt runs it in the API user's turn (turns.go), so two adoptions of one API
// user do not both pass that check; should they all the same (a turn outlived, replica
// clocks far apart), the one with the higher id closes itself, without deleting anything.
func (s *Service) createAdoption(ctx context.Context, in AdoptInput, it ReviewItem, u APIUser, now time.Time) (*Request, error) {
	if held, err := s.heldBy(ctx, in.APIUserID); err != nil || held != nil {
		if err == nil {
			err = Errorf(CodeWrongState, "%s is %s's already.", describeItem(it), held.ID)
		}
		return nil, err
	}
	r := &Request{
		Requester: in.Owner, Role: AdoptedRole, Workspace: s.Policy.Workspace,
		Duration: in.For, Reason: in.Note, State: StateActive,
		CreatedAt: now, UpdatedAt: now, DecidedBy: in.By, DecidedAt: now,
		Approvals: []Approval{{User: in.By, At: now}},
		Grant:     &Grant{APIUserID: u.ID, APIUserName: u.Name, CreatedAt: now, ExpiresAt: now.Add(in.For)},
		Adopted:   &Adoption{By: in.By, At: now, Note: in.Note, Review: in.Review, Origin: it.Origin},
	}
	c := Change{
		Audit: []AuditEvent{
			{At: now, Actor: in.By, Action: "adopted", To: StateActive, Detail: fmt.Sprintf("%s, owned by %s until %s", describeItem(it), in.Owner, when(r.Grant))},
			{At: now, Actor: in.By, Action: "review_" + string(ReviewAdopted), Detail: "review " + in.Review + ": " + describeItem(it)},
		},
		Outbox: []Notification{
			{Kind: NotifyRequester, CreatedAt: now,
				Text: fmt.Sprintf("%s adopted the Datacake API user %s for you: you own it now, and cakegate deletes it at %s unless you extend it. You will be reminded before then. cakegate never had its token, so it cannot tell you if the token leaks; if it does, revoke it at once.", Mention(in.By), Escape(u.Name), when(r.Grant))},
			{Kind: NotifyReview, Review: in.Review, CreatedAt: now},
		},
	}
	if err := s.Store.Create(ctx, r, c, CreateRules{}); err != nil {
		if errors.Is(err, ErrDeactivated) {
			return nil, Errorf(CodeNotAllowed, "%s's Slack account is deactivated: choose an owner who is still here.", Mention(in.Owner)).about(FieldOwner)
		}
		return nil, err
	}
	first, err := s.heldBy(ctx, in.APIUserID)
	if err != nil || first == nil || first.ID >= r.ID {
		return r, nil
	}
	// Another adoption of the same API user came first. (Should cakegate stop before this
	// write, reconcile closes it: closeLaterAdoptions.)
	if _, err := s.closeAdoption(ctx, r.ID, first); err != nil {
		return nil, err
	}
	return nil, Errorf(CodeWrongState, "%s was adopted meanwhile as %s.", describeItem(it), first.ID)
}

// closeAdoption closes adoption id, which holds the API user that first, an earlier open
// record, holds too. Its owner was told with the record that they own it (in the same
// write, so nothing is lost); they are told it does not hold after all. Nothing is deleted.
// It reports whether it closed it: one that is no longer open is left as it is.
func (s *Service) closeAdoption(ctx context.Context, id RequestID, first *Request) (bool, error) {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		if r.State != StateActive || r.Adopted == nil {
			return Change{}, errNotDue
		}
		from := r.State
		if err := moveTo(r, StateRevoked, "close"); err != nil {
			return Change{}, err
		}
		r.DecidedBy, r.DecidedAt, r.UpdatedAt, r.DecisionNote = Actor, s.now(), s.now(), "adopted twice at once; "+first.ID.String()+" holds it"
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, "adoption_closed", from, r.DecisionNote)},
			Outbox: []Notification{s.notify(r, NotifyRequester, fmt.Sprintf(
				":information_source: Disregard my message that you own the Datacake API user %s: it was adopted twice at the same moment, and the other adoption, %s (owned by %s), is the one that holds. Nothing is asked of you.",
				Escape(r.Grant.APIUserName), first.ID, Mention(first.Requester)))},
		}, nil
	})
	if errors.Is(err, errNotDue) {
		return false, nil
	}
	return err == nil, err
}

// closeLaterAdoptions closes every adoption of an API user that an earlier open record
// holds too: what cakegate stopping between writing a second adoption of one API user and
// closing it leaves (createAdoption). Reconcile runs it. Two grants never share an API
// user (each makes its own); should they, it is logged, not changed.
func (s *Service) closeLaterAdoptions(ctx context.Context, all map[string][]*Request, res *ReconcileResult) {
	for apiUser, rs := range all {
		for _, r := range rs[1:] {
			if r.Adopted == nil {
				s.log().Error("two open requests hold one API user", "api_user", apiUser, "first", rs[0].ID.String(), "other", r.ID.String())
				continue
			}
			switch closed, err := s.closeAdoption(ctx, r.ID, rs[0]); {
			case err != nil:
				res.Errors++
			case closed:
				res.Duplicates++
			}
		}
	}
}

// claimAdoption marks the review item adopted by in.By (claim), or takes that mark back
// after the adoption failed (!claim). The audit event comes with the adoption's record.
func (s *Service) claimAdoption(ctx context.Context, in AdoptInput, now time.Time, claim bool) error {
	var first ReviewItem
	_, err := s.Reviews.UpdateReview(ctx, in.Review, func(rv *Review) (Change, error) {
		it := &rv.Items[in.Index]
		switch {
		case claim && it.Decision != "":
			first = *it
			return Change{}, errDecided
		case claim:
			it.Decision, it.DecidedBy, it.DecidedAt = ReviewAdopted, in.By, now
		case it.Decision == ReviewAdopted && it.DecidedBy == in.By && it.DecidedAt.Equal(now):
			it.Decision, it.DecidedBy, it.DecidedAt = "", "", time.Time{}
		default:
			return Change{}, errNotDue
		}
		return Change{}, nil
	})
	switch {
	case errors.Is(err, errDecided):
		return decidedAlready(first)
	case errors.Is(err, errNotDue):
		return nil
	case err != nil && !claim:
		s.log().Error("access review: take back a failed adoption's mark", "review", in.Review, "err", err)
	}
	return err
}

// checkOwner refuses an owner who is not an active Slack user.
func (s *Service) checkOwner(ctx context.Context, owner string) error {
	if owner == "" || !(strings.HasPrefix(owner, "U") || strings.HasPrefix(owner, "W")) {
		return Errorf(CodeInvalid, "the owner must be a person in Slack, not a group, a channel or a bot. Pick someone.").about(FieldOwner)
	}
	if s.Directory == nil {
		return nil
	}
	ask := s.Directory.IsActive
	if p, ok := s.Directory.(People); ok {
		ask = p.IsPerson
	}
	active, err := ask(ctx, owner)
	if err != nil {
		return &Error{Code: CodeUnavailable, Message: "cakegate could not ask Slack about the owner just now; please try again in a minute.", Err: err, Field: FieldOwner}
	}
	if !active {
		return Errorf(CodeNotAllowed, "%s is not an active Slack user (deactivated, or a bot): choose an owner who is still here.", Mention(owner)).about(FieldOwner)
	}
	return nil
}

// People is a Directory that can tell a person from a bot or an app.
type People interface {
	IsPerson(ctx context.Context, user string) (bool, error)
}

// heldBy returns the open request whose grant is API user id, if any.
func (s *Service) heldBy(ctx context.Context, id string) (*Request, error) {
	held, err := s.holders(ctx)
	return held[id], err
}

// holders maps each API user an open request's grant holds to that request. Of two that
// hold one (two adoptions at once, until the later is closed), the first holds.
func (s *Service) holders(ctx context.Context) (map[string]*Request, error) {
	all, err := s.allHolders(ctx)
	return firstHolders(all), err
}

// firstHolders keeps the first of each API user's holders (allHolders).
func firstHolders(all map[string][]*Request) map[string]*Request {
	out := make(map[string]*Request, len(all))
	for id, rs := range all {
		out[id] = rs[0]
	}
	return out
}

// allHolders maps each API user an open request's grant holds to every such request, the
// first (lowest id) first.
func (s *Service) allHolders(ctx context.Context) (map[string][]*Request, error) {
	out := map[string][]*Request{}
	// One read per state: a request that moves between them (revoked between the reads)
	// is met twice, and counts once.
	seen := map[RequestID]bool{}
	for _, st := range []State{StateActive, StateRevoking, StateProvisioning} {
		rs, err := s.Store.InState(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("find %s requests: %w", st, err)
		}
		for _, r := range rs {
			if r.Grant != nil && !seen[r.ID] {
				seen[r.ID] = true
				out[r.Grant.APIUserID] = append(out[r.Grant.APIUserID], r)
			}
		}
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b *Request) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out, nil
}
