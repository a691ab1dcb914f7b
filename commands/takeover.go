package commands

import "context"

// TakeOverProvisioning does at once the part of Reconcile that finishes what dead runs
// left in provisioning: every request whose claim is held by no live run (Runs says its
// run is gone, or its lease ran out) has any half-made API user deleted, found by id and
// by name, and goes back to approved so its Reveal button works again (or ends: revoked
// if it was revoked meanwhile, failed if its grant's end has passed). Requests this run
// or a live replica is provisioning are left alone.
//
// With several replicas the leader calls it the moment a replica's session ends, rather
// than waiting for the scheduled reconcile. Taking a request over is a compare-and-set on
// its claim, and every later write checks the claim is still this run's, so two leaders
// (one of them cut off and not knowing it yet) never both act on one request.
func (s *Service) TakeOverProvisioning(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	err := s.reconcileProvisioning(ctx, &res)
	return res, err
}
