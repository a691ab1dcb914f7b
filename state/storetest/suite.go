// Package storetest is the conformance suite of cakegate's stores: every behaviour the use
// cases and the bot rely on, run against the bbolt store (package state) and the etcd store
// (package state/etcdstore) alike, so the two cannot drift apart. It is linked only into
// tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// Store is everything cakegate needs of a store: the use cases' ports, the bot's outbox,
// and what the operator commands and metrics read.
type Store interface {
	commands.Store
	commands.Journal
	commands.AuditReader
	commands.Memos
	commands.OwnMemos
	commands.ReviewStore
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error)
	CompleteNotification(ctx context.Context, id uint64) error
	RetryNotification(ctx context.Context, id uint64, at time.Time, lastErr string) error
	OutboxDepth(ctx context.Context) (int, error)
	AuditEvents(ctx context.Context, afterSeq uint64, limit int) ([]state.AuditRecord, error)
	AuditForRequest(ctx context.Context, id commands.RequestID) ([]state.AuditRecord, error)
	VerifyAudit(ctx context.Context) (uint64, error)
	AuditKeying(ctx context.Context) (state.AuditKeying, error)
	KeyAudit(ctx context.Context, e commands.AuditEvent) (state.AuditKeying, bool, error)
	Stats(ctx context.Context) (state.Stats, error)
	Installation() (string, time.Time, error)
}

// Harness opens the store under test.
type Harness struct {
	// Open returns a new, empty store, released when the test ends.
	Open func(t *testing.T) Store
	// Replica returns another handle on the data of s, as a second cakegate process would
	// have one (for etcd, another client); a store that allows one process returns s.
	Replica func(t *testing.T, s Store) Store
	// WithKey returns a handle on the data of s that chains and checks the audit log with
	// key (nil: none), as cakegate started with another CAKEGATE_AUDIT_KEY_FILE would
	// have; s is not used after (bbolt closes it to reopen the file).
	WithKey func(t *testing.T, s Store, key *state.AuditKey) Store
	// RewriteAudit stores v as the record of audit event seq behind the store's back, as
	// someone with write access to the database could.
	RewriteAudit func(t *testing.T, s Store, seq uint64, v []byte)
}

// Run runs the whole suite against h's store.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"CreateGetUpdate", testCreateGetUpdate},
		{"NotFound", testNotFound},
		{"UpdateFnErrorWritesNothing", testUpdateFnErrorWritesNothing},
		{"UpdateRefusesIDChange", testUpdateRefusesIDChange},
		{"CreateRefusesNULInRequester", testCreateRefusesNUL},
		{"DeepCopy", testDeepCopy},
		{"ConcurrentCompareAndSet", testConcurrentCompareAndSet},
		{"ConcurrentCreates", testConcurrentCreates},
		{"CreateCapsPending", testCreateCapsPending},
		{"CreateSameDelivery", testCreateSameDelivery},
		{"Deactivations", testDeactivations},
		{"Reviews", testReviews},
		{"Indexes", testIndexes},
		{"IndexesAfterFailures", testIndexesAfterFailures},
		{"Outbox", testOutbox},
		{"OutboxUrgentFirst", testOutboxUrgentFirst},
		{"Audit", testAudit},
		{"AuditKeyed", testAuditKeyed},
		{"AuditKeyedRewritten", testAuditKeyedRewritten},
		{"Stats", testStats},
		{"Installation", testInstallation},
		{"Linearizable", testLinearizable},
		{"NoLostUpdates", testNoLostUpdates},
		{"Memos", testMemos},
		{"ForgetOwn", testForgetOwn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, h) })
	}
}

// T0 is the suite's "now"; stores never read the clock, so any fixed time will do.
var T0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// NewRequest is a pending viewer request by user, with every slice filled so that a copy
// that shares memory would be noticed.
func NewRequest(user string) *commands.Request {
	return &commands.Request{
		Requester:            user,
		Workspace:            "ws-1",
		Role:                 "viewer",
		WorkspacePermissions: []string{"devices"},
		DevicePermissions:    []string{"edit_basics"},
		Devices:              []commands.Device{{ID: "d1", Name: "Cellar", Serial: "S1", Tags: []string{"field"}}},
		Duration:             8 * time.Hour,
		Reason:               "debug the cellar sensor",
		State:                commands.StatePending,
		CreatedAt:            T0,
		UpdatedAt:            T0,
		ApprovalsNeeded:      1,
	}
}

// MustCreate stores r with an audit event, and returns its id.
func MustCreate(tb testing.TB, s commands.Store, r *commands.Request) commands.RequestID {
	tb.Helper()
	c := commands.Change{Audit: []commands.AuditEvent{{At: r.CreatedAt, Actor: r.Requester, Action: "request", To: r.State}}}
	if err := s.Create(context.Background(), r, c, commands.CreateRules{}); err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return r.ID
}

// MustUpdate applies fn to request id with one audit event, failing the test on any error.
func MustUpdate(tb testing.TB, s commands.Store, id commands.RequestID, fn func(r *commands.Request)) *commands.Request {
	tb.Helper()
	r, err := s.Update(context.Background(), id, func(r *commands.Request) (commands.Change, error) {
		from := r.State
		fn(r)
		return commands.Change{Audit: []commands.AuditEvent{{At: T0, Actor: "U0", Action: "test", From: from, To: r.State}}}, nil
	})
	if err != nil {
		tb.Fatalf("Update %s: %v", id, err)
	}
	return r
}

// MustGet returns request id.
func MustGet(tb testing.TB, s commands.Store, id commands.RequestID) *commands.Request {
	tb.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get %s: %v", id, err)
	}
	return r
}

// IDs lists the ids of rs in order.
func IDs(rs []*commands.Request) []commands.RequestID {
	out := make([]commands.RequestID, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// assertAuditAndOutbox checks how many audit records and queued notifications s holds,
// and that the audit chain holds.
func assertAuditAndOutbox(tb testing.TB, s Store, audit, outbox int) {
	tb.Helper()
	ctx := context.Background()
	recs, err := s.AuditEvents(ctx, 0, 0)
	if err != nil {
		tb.Fatalf("AuditEvents: %v", err)
	}
	depth, err := s.OutboxDepth(ctx)
	if err != nil {
		tb.Fatalf("OutboxDepth: %v", err)
	}
	if len(recs) != audit || depth != outbox {
		tb.Fatalf("%d audit records and %d notifications, want %d and %d", len(recs), depth, audit, outbox)
	}
	if broken, err := s.VerifyAudit(ctx); broken != 0 || err != nil {
		tb.Fatalf("VerifyAudit: broken at %d: %v", broken, err)
	}
}
