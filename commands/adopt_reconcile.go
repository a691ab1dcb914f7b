package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// closeRenamed closes the record of adopted API user r whose name in Datacake is now
// name: someone renamed it in the portal, taking it back by hand, so cakegate no longer
// manages it and does not delete it. It is unmanaged again, and the next review asks about
// it. A record changed since the list was read is judged on the next run.
func (s *Service) closeRenamed(ctx context.Context, r *Request, name string, listedAt time.Time, res *ReconcileResult) {
	_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
		if r.State != StateActive || r.Adopted == nil || r.Grant == nil || r.Grant.APIUserName == name || r.UpdatedAt.After(listedAt) {
			return Change{}, errNotDue
		}
		from, now := r.State, s.now()
		if err := moveTo(r, StateRevoked, "close"); err != nil {
			return Change{}, err
		}
		note := fmt.Sprintf("its API user was renamed in the Datacake portal to %s; cakegate no longer manages it and did not delete it", Escape(name))
		r.DecidedBy, r.DecidedAt, r.UpdatedAt, r.DecisionNote, r.Extension = Actor, now, now, note, nil
		return Change{
			Audit: []AuditEvent{s.event(r, Actor, "adoption_closed", from, "API user "+r.Grant.APIUserID+" renamed to "+name)},
			Outbox: []Notification{
				s.urgent(r, NotifyRequester, fmt.Sprintf("cakegate no longer manages the API user %s you owned (%s): %s. Its token still works until someone deletes it; the next access review asks about it.", Escape(r.Grant.APIUserName), r.ID, note)),
				s.urgent(r, NotifyApprovers, fmt.Sprintf("%s, the adopted API user %s owned by %s, was renamed in the Datacake portal to %s: cakegate closed its record and left it alone. The next access review asks about it.", r.ID, Escape(r.Grant.APIUserName), Mention(r.Requester), Escape(name))),
			},
		}, nil
	})
	switch {
	case err == nil:
		res.Renamed++
	case !errors.Is(err, errNotDue):
		res.Errors++
	}
}
