package etcdstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// TestTransferRoundTrip copies a bbolt store into etcd and back: every request, audit
// record and queued notification arrives as it was, the installation id and the counters
// with them, and the copy goes on where the original stopped.
func TestTransferRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	src, err := state.Open(filepath.Join(t.TempDir(), "cakegate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	storetest.Fill(t, src)
	review := &commands.Review{ID: "rv-1", StartedAt: storetest.T0, StartedBy: "U1", Items: []commands.ReviewItem{{APIUserID: "a1", Name: "by hand", Class: commands.ClassUnmanaged, Decision: commands.ReviewKept, DecidedBy: "U2"}}}
	if err := src.CreateReview(ctx, review, commands.Change{}); err != nil {
		t.Fatal(err)
	}

	var want state.Content
	if err := src.Export(ctx, func(c state.Content) error {
		want = collect(t, c)
		return etcdstore.Import(ctx, srv.Client(t), etcdtest.Prefix(t), c, 0)
	}); err != nil {
		t.Fatalf("bbolt → etcd: %v", err)
	}
	dst := mustOpen(t, srv, etcdtest.Prefix(t))
	var got state.Content
	if err := dst.Export(ctx, func(c state.Content) error { got = collect(t, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(describe(want), describe(got)); diff != "" {
		t.Fatalf("etcd holds another content than bbolt did (-bbolt +etcd):\n%s", diff)
	}
	if broken, err := dst.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit after import: %d, %v", broken, err)
	}
	if got, err := dst.GetReview(ctx, "rv-1"); err != nil || !cmp.Equal(got, review) {
		t.Fatalf("the access review after import: %+v, %v; want %+v", got, err, review)
	}
	wantStats, _ := src.Stats(ctx)
	gotStats, _ := dst.Stats(ctx)
	if diff := cmp.Diff(wantStats, gotStats); diff != "" {
		t.Fatalf("Stats after import (-bbolt +etcd):\n%s", diff)
	}

	// The copy goes on: the next id follows the last, the chain the last hash.
	r := &commands.Request{Requester: "U9", State: commands.StatePending, CreatedAt: time.Now()}
	if err := dst.Create(ctx, r, commands.Change{Audit: []commands.AuditEvent{{Action: "request"}}}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	if r.ID != commands.RequestID(want.LastRequest+1) {
		t.Fatalf("first id after import %s, want R%d", r.ID, want.LastRequest+1)
	}
	if broken, err := dst.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit after a write: %d, %v", broken, err)
	}

	// And back into a new bbolt file, as `cakegate backup` does from etcd.
	back := filepath.Join(t.TempDir(), "backup.db")
	if err := dst.Export(ctx, func(c state.Content) error { return state.Import(ctx, back, c) }); err != nil {
		t.Fatalf("etcd → bbolt: %v", err)
	}
	restored, err := state.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if id, _, _ := restored.Installation(); id != want.Installation {
		t.Fatalf("backup's installation %q, want %q", id, want.Installation)
	}
	if broken, err := restored.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit of the backup: %d, %v", broken, err)
	}
	if got, err := restored.Get(ctx, r.ID); err != nil || got.Requester != "U9" {
		t.Fatalf("backup lacks %s: %v", r.ID, err)
	}
	if got, err := restored.GetReview(ctx, "rv-1"); err != nil || !cmp.Equal(got, review) {
		t.Fatalf("the access review in the backup: %+v, %v; want %+v", got, err, review)
	}
}

// TestTransferKeyedChain: a keyed chain copied into etcd and back into a bbolt file stays
// keyed from the same event with the same key, verifies with it, and goes on keyed.
func TestTransferKeyedChain(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	key, err := state.NewAuditKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cakegate.db")
	src, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Fill(t, src) // unkeyed events, then keyed ones
	src.Close()
	if src, err = state.Open(path, state.WithAuditKey(key)); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, wrote, err := src.KeyAudit(ctx, commands.AuditEvent{Action: "audit_keyed"})
	if err != nil || !wrote {
		t.Fatalf("KeyAudit: %v, %v", wrote, err)
	}
	if err := src.Record(ctx, commands.Change{Audit: []commands.AuditEvent{{Action: "after"}}}); err != nil {
		t.Fatal(err)
	}
	if err := src.Export(ctx, func(c state.Content) error {
		return etcdstore.Import(ctx, srv.Client(t), etcdtest.Prefix(t), c, 0)
	}); err != nil {
		t.Fatalf("bbolt → etcd: %v", err)
	}
	dst := mustOpen(t, srv, etcdtest.Prefix(t), etcdstore.WithAuditKey(key))
	if got, err := dst.AuditKeying(ctx); err != nil || got != want {
		t.Fatalf("etcd AuditKeying %+v, %v; want %+v", got, err, want)
	}
	if err := dst.Record(ctx, commands.Change{Audit: []commands.AuditEvent{{Action: "in etcd"}}}); err != nil {
		t.Fatal(err)
	}
	if broken, err := dst.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit in etcd: %d, %v", broken, err)
	}
	back := filepath.Join(t.TempDir(), "backup.db")
	if err := dst.Export(ctx, func(c state.Content) error { return state.Import(ctx, back, c) }); err != nil {
		t.Fatalf("etcd → bbolt: %v", err)
	}
	restored, err := state.Open(back, state.WithAuditKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if got, err := restored.AuditKeying(ctx); err != nil || got != want {
		t.Fatalf("backup's AuditKeying %+v, %v; want %+v", got, err, want)
	}
	if broken, err := restored.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit of the backup: %d, %v", broken, err)
	}
}

// TestImportRefusesAFullPrefix: an import never mixes with keys already there.
func TestImportRefusesAFullPrefix(t *testing.T) {
	srv := etcdtest.Start(t)
	mustOpen(t, srv, etcdtest.Prefix(t))
	err := etcdstore.Import(context.Background(), srv.Client(t), etcdtest.Prefix(t), state.Content{}, 0)
	if err == nil {
		t.Fatal("Import wrote over an existing store")
	}
}

// content is a Content with its sequences read into slices, to compare.
type content struct {
	Installation                  string
	CreatedAt                     time.Time
	LastRequest, LastNotification uint64
	Requests                      []*commands.Request
	Audit                         []state.AuditRecord
	Outbox                        []commands.Notification
}

// collect reads c's sequences once and returns a Content that replays them.
func collect(t *testing.T, c state.Content) state.Content {
	t.Helper()
	out := content{Installation: c.Installation, CreatedAt: c.CreatedAt, LastRequest: c.LastRequest, LastNotification: c.LastNotification}
	for r, err := range c.Requests {
		if err != nil {
			t.Fatal(err)
		}
		out.Requests = append(out.Requests, r)
	}
	for rec, err := range c.Audit {
		if err != nil {
			t.Fatal(err)
		}
		out.Audit = append(out.Audit, rec)
	}
	for n, err := range c.Outbox {
		if err != nil {
			t.Fatal(err)
		}
		out.Outbox = append(out.Outbox, n)
	}
	return replay(out)
}

// replay is a Content over collected slices.
func replay(c content) state.Content {
	return state.Content{
		Installation: c.Installation, CreatedAt: c.CreatedAt, LastRequest: c.LastRequest, LastNotification: c.LastNotification,
		Requests: seq(c.Requests), Audit: seq(c.Audit), Outbox: seq(c.Outbox),
	}
}

func seq[T any](xs []T) func(func(T, error) bool) {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// describe reads a replayable Content back into slices, to compare and print.
func describe(c state.Content) content {
	out := content{Installation: c.Installation, CreatedAt: c.CreatedAt, LastRequest: c.LastRequest, LastNotification: c.LastNotification}
	for r := range c.Requests {
		out.Requests = append(out.Requests, r)
	}
	for rec := range c.Audit {
		out.Audit = append(out.Audit, rec)
	}
	for n := range c.Outbox {
		out.Outbox = append(out.Outbox, n)
	}
	return out
}
