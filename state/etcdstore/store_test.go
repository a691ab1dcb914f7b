package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// The etcd store's own behaviour, beyond the suite every store passes.

func TestOpenRefusesForeignKeys(t *testing.T) {
	srv := etcdtest.Start(t)
	client := srv.Client(t)
	prefix := etcdtest.Prefix(t)
	if _, err := client.Put(context.Background(), prefix+"something", "else"); err != nil {
		t.Fatal(err)
	}
	_, err := etcdstore.Open(context.Background(), client, prefix)
	if !errors.Is(err, state.ErrNotCakegate) {
		t.Fatalf("Open over foreign keys: got %v, want ErrNotCakegate", err)
	}
}

// TestOpenAtOnceMakesOneInstallation starts replicas on an empty prefix together: they
// agree on one installation id.
func TestOpenAtOnceMakesOneInstallation(t *testing.T) {
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	ids := make([]string, 5)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			s, err := etcdstore.Open(context.Background(), srv.Client(t), prefix)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			ids[i], _, _ = s.Installation()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Fatalf("replicas see installations %v, want one", ids)
		}
	}
}

// TestChangeTooBigForOneTxn: a change that needs more operations than etcd allows in one
// transaction fails plainly and writes nothing.
func TestChangeTooBigForOneTxn(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, srv, etcdtest.Prefix(t))
	ctx := context.Background()
	r := &commands.Request{Requester: "U1", State: commands.StatePending}
	if err := s.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	var c commands.Change
	for i := range etcdstore.DefaultMaxTxnOps {
		c.Outbox = append(c.Outbox, commands.Notification{Kind: commands.NotifyUser, To: fmt.Sprint("U", i)})
	}
	_, err := s.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
		r.State = commands.StateCancelled
		return c, nil
	})
	if err == nil {
		t.Fatal("Update wrote a change of more than max-txn-ops operations")
	}
	got, _ := s.Get(ctx, r.ID)
	depth, _ := s.OutboxDepth(ctx)
	if got.State != commands.StatePending || depth != 0 {
		t.Fatalf("after the refused change: %s and %d notifications, want pending and none", got.State, depth)
	}
}

// TestVerifyAuditFindsTampering edits and removes audit records behind the store's back.
func TestVerifyAuditFindsTampering(t *testing.T) {
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	s := mustOpen(t, srv, prefix)
	ctx := context.Background()
	for range 3 {
		r := &commands.Request{Requester: "U1", State: commands.StatePending}
		if err := s.Create(ctx, r, commands.Change{Audit: []commands.AuditEvent{{Action: "request"}}}, commands.CreateRules{}); err != nil {
			t.Fatal(err)
		}
	}
	client := srv.Client(t)
	key := func(seq int) string { return fmt.Sprintf("%saudit/%020d", prefix, seq) }
	resp, err := client.Get(ctx, key(2))
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("read audit 2: %v", err)
	}
	original := string(resp.Kvs[0].Value)

	tests := []struct {
		name   string
		tamper func() error
		want   uint64
	}{
		{"edited", func() error {
			_, err := client.Put(ctx, key(2), original[:len(original)-2]+" }")
			return err
		}, 2},
		{"removed from the middle", func() error { _, err := client.Delete(ctx, key(2)); return err }, 2},
		{"cut off the end", func() error {
			if _, err := client.Put(ctx, key(2), original); err != nil {
				return err
			}
			_, err := client.Delete(ctx, key(3))
			return err
		}, 3},
	}
	for _, tt := range tests {
		if err := tt.tamper(); err != nil {
			t.Fatal(err)
		}
		broken, err := s.VerifyAudit(ctx)
		if broken != tt.want || !errors.Is(err, state.ErrAuditBroken) {
			t.Errorf("%s: VerifyAudit = %d, %v; want %d and ErrAuditBroken", tt.name, broken, err, tt.want)
		}
	}
}

// TestRetryToTheSameTime reschedules a notification to the time it already had: the
// transaction deletes and writes the same outbox_due key, which etcd refuses unless the
// store folds the two into one put.
func TestRetryToTheSameTime(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, srv, etcdtest.Prefix(t))
	ctx := context.Background()
	if err := s.Record(ctx, commands.Change{Outbox: []commands.Notification{{Kind: commands.NotifyUser, To: "U1"}}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 2 {
		if err := s.RetryNotification(ctx, 1, at, "slack: down"); err != nil {
			t.Fatalf("RetryNotification: %v", err)
		}
	}
	due, err := s.DueNotifications(ctx, at, 0)
	if err != nil || len(due) != 1 || due[0].Attempts != 2 {
		t.Fatalf("DueNotifications: %+v, %v; want the one notification, tried twice", due, err)
	}
}
