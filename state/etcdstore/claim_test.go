package etcdstore_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestClaimNotification: one replica at a time holds a notification; completing or
// rescheduling it, or the holder's lease ending, lets go; a notification completed
// meanwhile cannot be claimed from an old read.
func TestClaimNotification(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	a, b := mustOpen(t, srv, prefix), mustOpen(t, srv, prefix)
	lease := func() clientv3.LeaseID {
		t.Helper()
		l, err := srv.Client(t).Grant(ctx, 30)
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	leaseA, leaseB := lease(), lease()
	if err := a.Record(ctx, commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyUser, To: "U1"}, {Kind: commands.NotifyUser, To: "U2"}}}); err != nil {
		t.Fatal(err)
	}
	due, err := b.DueNotifications(ctx, time.Now(), 0)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueNotifications: %v, %v", due, err)
	}
	claim := func(s *etcdstore.Store, n commands.Notification, owner string, l clientv3.LeaseID) bool {
		t.Helper()
		ok, err := s.ClaimNotification(ctx, n, owner, l)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(a, due[0], "a", leaseA) {
		t.Fatal("a could not claim a free notification")
	}
	if !claim(a, due[0], "a", leaseA) {
		t.Fatal("a's second claim of its own notification was refused")
	}
	if claim(b, due[0], "b", leaseB) {
		t.Fatal("b claimed what a holds")
	}
	if err := a.CompleteNotification(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if claim(b, due[0], "b", leaseB) {
		t.Fatal("b claimed a notification a completed, from its old read: it would be sent twice")
	}

	// The holder's lease ends (its replica died): another replica takes the notification.
	if !claim(a, due[1], "a", leaseA) {
		t.Fatal("a could not claim the second notification")
	}
	if _, err := srv.Client(t).Revoke(ctx, leaseA); err != nil {
		t.Fatal(err)
	}
	if !claim(b, due[1], "b", leaseB) {
		t.Fatal("b could not claim what a dead replica held")
	}
}
