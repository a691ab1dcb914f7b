package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestSessionsEndedSignals: the leader's watch signals once it is set up (the takeover pass
// at election), then when a replica's session ends, by its lease's revocation as by its
// expiry, and not when a replica joins.
func TestSessionsEndedSignals(t *testing.T) {
	srv := etcdtest.Start(t)
	client := srv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l := newLeadership(client, etcdtest.Prefix(t), "leader-run", time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ended := l.sessionsEnded(ctx)
	wait := func(what string) {
		t.Helper()
		select {
		case <-ended:
		case <-ctx.Done():
			t.Fatalf("no signal %s", what)
		}
	}
	wait("once the watch is set up")

	lease, err := client.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, l.runs+"other-run", "host", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
		t.Fatal("a replica joining signalled")
	default:
	}
	if _, err := client.Revoke(ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	wait("when a replica's session ended")

	// Expiry: a lease of 1 s that nobody keeps alive.
	short, err := client.Grant(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, l.runs+"dying-run", "host", clientv3.WithLease(short.ID)); err != nil {
		t.Fatal(err)
	}
	wait("when a replica's lease expired")
}
