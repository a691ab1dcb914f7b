package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Roster is a Slack user group's members as Slack listed them, and when it did.
type Roster struct {
	Members []string
	ReadAt  time.Time
}

// Rosters reads who is in a Slack user group: a list Slack gave at most MaxRosterAge ago.
type Rosters interface {
	Roster(ctx context.Context, group string) (Roster, error)
}

// MaxRosterAge is the oldest list of an on-call group the on-call rule acts on: someone who
// handed over the pager more than a minute ago is not on call any more.
const MaxRosterAge = time.Minute

// maxRosterShown bounds how many members the audit lists.
const maxRosterShown = 50

// approveOnCall approves r at once when its role's on-call rule covers it: r asks for at
// most on_call.max_duration, and Slack lists its requester in the on-call group now. The
// approvals channel is told loudly, and the audit records the group and the list as read.
// When Slack cannot say who is on call, r waits for approvers as any request does.
func (s *Service) approveOnCall(ctx context.Context, r *Request, role *Role) (*Request, error) {
	oc := role.OnCall
	if s.Rosters == nil || r.Duration > oc.MaxDuration {
		return r, nil
	}
	roster, err := s.Rosters.Roster(ctx, oc.Group)
	if err == nil && s.now().Sub(roster.ReadAt) > MaxRosterAge {
		err = fmt.Errorf("the list Slack gave is from %s, more than %s ago", roster.ReadAt.UTC().Format(time.DateTime), FormatDuration(MaxRosterAge))
	}
	if err != nil {
		return s.onCallUnread(ctx, r, oc, err)
	}
	if !slices.Contains(roster.Members, r.Requester) {
		return r, nil
	}
	approved, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		if r.State != StatePending {
			return Change{}, errNoLongerPending
		}
		from := r.State
		reveal, err := s.approve(r, Actor, s.now())
		if err != nil {
			return Change{}, err
		}
		r.OnCall = oc.Group
		loud := fmt.Sprintf(":rotating_light: On call: %s is in %s, so the on-call rule of role %s approved %s for %s at once, without an approver. Reason: %s. An approver can withdraw it: `/cakegate revoke %s`.",
			Mention(r.Requester), Mention(oc.Group), role.Name, r.ID, FormatDuration(r.Duration), Escape(r.Reason), r.ID)
		return Change{
			Audit:  []AuditEvent{s.event(r, Actor, "approved", from, onCallDetail(r.Requester, oc.Group, roster))},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, ""), reveal, s.urgent(r, NotifyApprovers, loud)},
		}, nil
	})
	switch {
	case errors.Is(err, errNoLongerPending):
		return s.Store.Get(ctx, r.ID) // cancelled or decided meanwhile: that stands
	case err != nil:
		// The approval could not be written: the request stands, waiting for approvers.
		s.log().Warn("on-call approval not recorded; the request waits for approvers", "request", r.ID.String(), "err", err)
		return r, nil
	}
	return approved, nil
}

// errNoLongerPending stops an on-call approval that came after another decision.
var errNoLongerPending = errors.New("the request was decided before the on-call rule could approve it")

// onCallDetail is the audit's record of an on-call approval: who, which group, and the
// list Slack gave, with when it gave it.
func onCallDetail(user, group string, roster Roster) string {
	shown := roster.Members
	more := ""
	if len(shown) > maxRosterShown {
		shown, more = shown[:maxRosterShown], fmt.Sprintf(" and %d more", len(roster.Members)-maxRosterShown)
	}
	return fmt.Sprintf("on call: %s is a member of %s as Slack listed it at %s (%d members: %s%s)",
		user, group, roster.ReadAt.UTC().Format(time.RFC3339), len(roster.Members), strings.Join(shown, ", "), more)
}

// onCallUnread records that Slack could not say who is on call, so r waits for approvers.
func (s *Service) onCallUnread(ctx context.Context, r *Request, oc *OnCall, cause error) (*Request, error) {
	why := redactSlackTokens(cause.Error())
	updated, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		return Change{Audit: []AuditEvent{s.event(r, Actor, "on_call_unread", r.State,
			fmt.Sprintf("Slack could not list %s (%s): waits for approvers", oc.Group, why))}}, nil
	})
	if err != nil {
		return r, nil // the request stands and waits; only the note is lost
	}
	return updated, nil
}
