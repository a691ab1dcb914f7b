package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
)

// ClaimNotification claims notification n, as DueNotifications returned it, for the
// replica owner, under lease: only the claimant sends it. The claim is taken only while
// nobody holds one and n is still due as it was read (not completed or rescheduled
// meanwhile by another replica), so a notification is never sent twice by two live
// replicas. Complete and Retry release the claim; the lease's end, when its replica dies,
// releases it too, and another replica sends n. It reports whether owner holds the claim,
// also when owner took it earlier.
func (s *Store) ClaimNotification(ctx context.Context, n commands.Notification, owner string, lease clientv3.LeaseID) (bool, error) {
	claim := s.keys.outboxClaim(n.ID)
	resp, err := s.client.Txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(claim), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(s.keys.outboxDue(n.NextAttemptAt, n.ID)), ">", 0),
		).
		Then(clientv3.OpPut(claim, owner, clientv3.WithLease(lease))).
		Else(clientv3.OpGet(claim)).
		Commit()
	if err != nil {
		return false, fmt.Errorf("etcd claim notification %d: %w", n.ID, err)
	}
	if resp.Succeeded {
		return true, nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	return len(kvs) > 0 && string(kvs[0].Value) == owner && clientv3.LeaseID(kvs[0].Lease) == lease, nil
}
