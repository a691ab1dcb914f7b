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

// Runs knows which runs of cakegate sharing the store are alive (Service.InstanceID names
// each).
type Runs interface {
	// Alive reports whether run still runs. When it cannot tell, it says true: the
	// request's lease running out still lets reconcile take over.
	Alive(ctx context.Context, run string) bool
}

// InstanceID names this run of cakegate: requests it provisions carry it, and with several
// replicas each registers it where Runs can find it.
func (s *Service) InstanceID() string { return s.instanceID() }

// claim marks r as being provisioned by this run until the lease runs out.
func (s *Service) claim(r *Request) {
	r.ProvisionedBy = s.instanceID()
	r.LeaseUntil = s.now().Add(ProvisionLease)
}

// leased reports whether r is claimed by a live run (this one, or with Runs another)
// whose lease still holds at now.
func (s *Service) leased(ctx context.Context, r *Request, now time.Time) bool {
	if !now.Before(r.LeaseUntil) {
		return false
	}
	if r.ProvisionedBy == s.instanceID() {
		return true
	}
	return s.Runs != nil && r.ProvisionedBy != "" && s.Runs.Alive(ctx, r.ProvisionedBy)
}

// bookkeeping returns a context for the writes that must follow an API user's creation,
// detached from ctx's end but with a deadline of its own.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), BookkeepingTimeout)
}
