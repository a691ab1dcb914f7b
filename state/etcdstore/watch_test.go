package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestExpiryChanges: a grant recorded through one replica wakes a watcher on another.
func TestExpiryChanges(t *testing.T) {
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	writer, watcher := mustOpen(t, srv, prefix), mustOpen(t, srv, prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes := watcher.ExpiryChanges(ctx)

	r := &commands.Request{Requester: "U1", State: commands.StateActive, Grant: &commands.Grant{ExpiresAt: time.Now().Add(time.Hour)}}
	if err := writer.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-ctx.Done():
		t.Fatal("no signal after a grant was recorded on another replica")
	}
	cancel()
	for range changes { // closed once ctx ends
	}
}
