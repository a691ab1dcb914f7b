package app

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The simulation runs several replicas on one etcd without App.Run, whose goroutines would
// race its driver: it gives each replica its session itself, chooses the leader as an
// election would, and ends a replica's session to kill it (see bot/app/simulation).

// JoinCluster gives this replica its etcd session now, with its run registered, as Run
// does before it campaigns: from then on it claims outbox notifications and counts as
// alive for the leader's reconcile. It does nothing on bbolt. The session ends with Leave,
// or with the lease (SessionLease) revoked from outside, as a crash ends it.
func (a *App) JoinCluster(ctx context.Context) error {
	if a.leader == nil {
		return nil
	}
	if _, ok := a.leader.lease(); ok {
		return errors.New("this replica has a session already")
	}
	_, stop, err := a.leader.join(ctx)
	if err != nil {
		return err
	}
	a.leaveCluster = stop
	return nil
}

// Leave ends the session JoinCluster began, revoking its lease: leadership and claims pass
// to the others at once.
func (a *App) Leave() {
	if a.leaveCluster != nil {
		a.leaveCluster()
		a.leaveCluster = nil
	}
}

// SetLeading makes this replica the leader, or not, as an election would: Leading reports
// it. It does nothing on bbolt, where the process always leads.
func (a *App) SetLeading(on bool) {
	if a.leader != nil {
		a.leader.leading.Store(on)
	}
}

// SessionLease is the lease of this replica's etcd session, if it has one.
func (a *App) SessionLease() (clientv3.LeaseID, bool) {
	if a.leader == nil {
		return 0, false
	}
	return a.leader.lease()
}
