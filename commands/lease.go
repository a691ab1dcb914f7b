package commands

import (
	"context"
	"time"
)

// ProvisionLease is how long a run's claim on a provisioning request holds. It outlasts
// the longest a click's work may take (Slack's interaction work gets two minutes) plus the
// bookkeeping after the token has left; a request still provisioning after it is taken over
// by reconcile, even from the run that claimed it.
const ProvisionLease = 5 * time.Minute

// BookkeepingTimeout bounds the writes made after an API user exists: recording it, marking
// the request active, or cleaning up. They run on a context of their own, so a click whose
// context ends (slow Datacake, slow Slack) does not leave a delivered token unrecorded.
const BookkeepingTimeout = 30 * time.Second

// claim marks r as being provisioned by this run until the lease runs out.
func (s *Service) claim(r *Request) {
	r.ProvisionedBy = s.instanceID()
	r.LeaseUntil = s.now().Add(ProvisionLease)
}

// leased reports whether r is claimed by a run whose lease still holds at now.
func (s *Service) leased(r *Request, now time.Time) bool {
	return r.ProvisionedBy == s.instanceID() && now.Before(r.LeaseUntil)
}

// bookkeeping returns a context for the writes that must follow an API user's creation,
// detached from ctx's end but with a deadline of its own.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), BookkeepingTimeout)
}
