package app

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
)

// notificationClaimer is the etcd store's claim on a notification.
type notificationClaimer interface {
	ClaimNotification(ctx context.Context, n commands.Notification, owner string, lease clientv3.LeaseID) (bool, error)
}

// claimingOutbox is the bot's outbox when several replicas share one: of the due
// notifications it hands out only those this replica claimed, so exactly one replica
// sends each. Completing or rescheduling one releases its claim (the store does that);
// a replica that dies releases its claims when its session's lease ends.
type claimingOutbox struct {
	Store
	claimer notificationClaimer
	leader  *leadership
}

// DueNotifications implements bot.Outbox: the due notifications this replica holds a claim
// on. Once one notification of a request is another replica's, the later ones of that
// request are left to it too, so a request's notifications still go out in order.
func (o claimingOutbox) DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error) {
	lease, ok := o.leader.lease()
	if !ok {
		return nil, nil // without a session a claim could outlive this replica's interest
	}
	due, err := o.Store.DueNotifications(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	var mine []commands.Notification
	elsewhere := map[commands.RequestID]bool{}
	for _, n := range due {
		if n.Request != 0 && elsewhere[n.Request] {
			continue
		}
		claimed, err := o.claimer.ClaimNotification(ctx, n, o.leader.name, lease)
		if err != nil {
			return mine, err
		}
		if !claimed {
			elsewhere[n.Request] = true
			continue
		}
		mine = append(mine, n)
	}
	return mine, nil
}
