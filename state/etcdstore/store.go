package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/state"
)

// Store is cakegate's database in etcd: every key under one prefix. It is safe for
// concurrent use, by goroutines and by replicas.
type Store struct {
	client *clientv3.Client
	keys   keys
	// owned says Close closes the client too: Connect made it.
	owned bool
	// maxTxnOps is the server's max-txn-ops: a change that needs more fails plainly
	// instead of being refused by the server halfway through a use case.
	maxTxnOps int
	// writeMu serializes this process's writers. Every audited write advances the head, so
	// concurrent writers of one process would only conflict and retry; across replicas the
	// compare-and-set is what keeps them apart.
	writeMu sync.Mutex

	installation string
	createdAt    time.Time
	// rev, when not 0, pins every read at that revision and refuses writes: AtRevision.
	rev int64
	// auditKey chains and checks the audit log (WithAuditKey); nil: unkeyed.
	auditKey *state.AuditKey
	// writeFault, when set, is asked before every write (WithWriteFault).
	writeFault func(op string) error
	// newInstallation makes a new store's installation id and created_at
	// (WithNewInstallation); nil: a random id and the wall clock.
	newInstallation func() (string, time.Time)
	// memoLeases are the leases of Remember's keys (memos.go).
	memoLeases memoLeases
}

// DefaultPrefix is the key prefix when none is configured.
const DefaultPrefix = "/cakegate/"

// DefaultMaxTxnOps is etcd's default limit on the operations of one transaction.
const DefaultMaxTxnOps = 128

// ErrNotCakegate is matched by the error Open returns when the prefix holds keys that are
// not a cakegate store, or a migration that did not finish.
var ErrNotCakegate = state.ErrNotCakegate

// ErrNewerSchema is matched by the error Open returns when a newer cakegate wrote the prefix.
var ErrNewerSchema = state.ErrNewerSchema

// Option changes how Open uses the store.
type Option func(*Store)

// WithMaxTxnOps tells the store the server's max-txn-ops, when it is not etcd's default.
func WithMaxTxnOps(n int) Option { return func(s *Store) { s.maxTxnOps = n } }

// WithAuditKey has the store chain the audit events it writes with key (HMAC-SHA256), and
// check keyed events with it in VerifyAudit, as state.WithAuditKey does for bbolt: a chain
// not keyed yet is keyed by KeyAudit, and until then the store refuses audit events.
func WithAuditKey(key *state.AuditKey) Option { return func(s *Store) { s.auditKey = key } }

// WithWriteFault makes every write ask fault, with the name of the write, after it read
// what it changes and before it commits (as state.WithWriteFault does for bbolt, before
// the transaction): the simulation's disk-full faults and crash points, and the moment
// where it lets another replica write first.
func WithWriteFault(fault func(op string) error) Option {
	return func(s *Store) { s.writeFault = fault }
}

// WithNewInstallation has a store created now take its installation id and created_at from
// fn, as state.WithNewInstallation does for bbolt: one seed, one history.
func WithNewInstallation(fn func() (string, time.Time)) Option {
	return func(s *Store) { s.newInstallation = fn }
}

// Open uses client for a store under prefix (DefaultPrefix if empty), creating the store
// with a new installation id if nothing is stored under prefix yet. The client stays the
// caller's: Close leaves it open.
func Open(ctx context.Context, client *clientv3.Client, prefix string, opts ...Option) (*Store, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{client: client, keys: keys{prefix: prefix}, maxTxnOps: DefaultMaxTxnOps}
	for _, o := range opts {
		o(s)
	}
	if err := s.openSchema(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// openSchema creates the store under an empty prefix, or checks the one it finds there,
// and reads the installation id.
func (s *Store) openSchema(ctx context.Context) error {
	id, err := state.NewInstallationID()
	if err != nil {
		return err
	}
	birth := time.Now()
	if s.newInstallation != nil {
		id, birth = s.newInstallation()
	}
	now := birth.UTC().Format(time.RFC3339)
	h, err := encodeHead(head{})
	if err != nil {
		return err
	}
	// Creating is one transaction guarded by "nothing under the prefix", so two replicas
	// starting at once on an empty prefix make one installation, and a migration's
	// half-written prefix is never taken for an empty one.
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(s.keys.prefix), "=", 0).WithPrefix()).
		Then(
			clientv3.OpPut(s.keys.of(keySchemaVersion), strconv.Itoa(schemaVersion)),
			clientv3.OpPut(s.keys.of(keyInstallation), id),
			clientv3.OpPut(s.keys.of(keyCreatedAt), now),
			clientv3.OpPut(s.keys.of(keyHead), string(h)),
		).
		Else(
			clientv3.OpGet(s.keys.of(keySchemaVersion)),
			clientv3.OpGet(s.keys.of(keyInstallation)),
			clientv3.OpGet(s.keys.of(keyCreatedAt)),
		).Commit()
	if err != nil {
		return fmt.Errorf("open etcd store %s: %w", s.keys.prefix, err)
	}
	if resp.Succeeded {
		s.installation = id
		s.createdAt, _ = time.Parse(time.RFC3339, now)
		return nil
	}
	version, installation, created := rangeValue(resp.Responses[0]), rangeValue(resp.Responses[1]), rangeValue(resp.Responses[2])
	if version == nil || installation == nil {
		return fmt.Errorf("etcd prefix %s: %w (it holds keys but no schema version or installation id: "+
			"another program's keys, or a migration that did not finish)", s.keys.prefix, ErrNotCakegate)
	}
	v, err := strconv.Atoi(string(version))
	if err != nil {
		return fmt.Errorf("etcd prefix %s: schema version %q is not a number: %w", s.keys.prefix, version, ErrNotCakegate)
	}
	if v > schemaVersion {
		return fmt.Errorf("etcd prefix %s has schema version %d but this cakegate knows only up to %d: "+
			"run a newer cakegate: %w", s.keys.prefix, v, schemaVersion, ErrNewerSchema)
	}
	if v < schemaVersion {
		if err := s.migrate(ctx, v); err != nil {
			return fmt.Errorf("etcd prefix %s: migrate from schema version %d: %w", s.keys.prefix, v, err)
		}
	}
	s.installation = string(installation)
	s.createdAt, _ = time.Parse(time.RFC3339, string(created))
	return nil
}

// rangeValue is the value a Get in a transaction found, or nil.
func rangeValue(r *pb.ResponseOp) []byte {
	kvs := r.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return nil
	}
	return kvs[0].Value
}

// AtRevision returns a read-only view of the store as it is now: every read of the view
// is at this one revision, so a backup or an audit export that takes many reads is one
// point in time. The view uses s's client and needs no Close.
func (s *Store) AtRevision(ctx context.Context) (*Store, error) {
	resp, err := s.client.Get(ctx, s.keys.of(keyHead), s.at()...)
	if err != nil {
		return nil, fmt.Errorf("etcd read head: %w", err)
	}
	view := &Store{client: s.client, keys: s.keys, maxTxnOps: s.maxTxnOps, auditKey: s.auditKey,
		installation: s.installation, createdAt: s.createdAt, rev: s.revOf(resp.Header.Revision)}
	return view, nil
}

// at is the option that pins a read at the view's revision (none outside a view).
func (s *Store) at(opts ...clientv3.OpOption) []clientv3.OpOption {
	if s.rev != 0 {
		opts = append(opts, clientv3.WithRev(s.rev))
	}
	return opts
}

// revOf is the revision a read was made at: the view's, or the one etcd answered at.
func (s *Store) revOf(answered int64) int64 {
	if s.rev != 0 {
		return s.rev
	}
	return answered
}

// Close releases the store, and the client if Connect made it.
func (s *Store) Close() error {
	if !s.owned || s.rev != 0 {
		return nil
	}
	if err := s.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close etcd client: %w", err)
	}
	return nil
}

// Client is the etcd client the store uses, for leader election and leases.
func (s *Store) Client() *clientv3.Client { return s.client }

// Prefix is the key prefix the store lives under.
func (s *Store) Prefix() string { return s.keys.prefix }

// Installation identifies this store among every cakegate that may share a Datacake
// workspace, as state.Store.Installation does; it was read when the store was opened.
func (s *Store) Installation() (id string, created time.Time, err error) {
	return s.installation, s.createdAt, nil
}

// Check reports whether etcd answers a linearizable read of the store's head: it fails
// when the cluster has lost its quorum or cannot be reached.
func (s *Store) Check(ctx context.Context) error {
	if _, err := s.client.Get(ctx, s.keys.of(keyHead), s.at()...); err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	return nil
}

// String names the store for logs.
func (s *Store) String() string {
	return "etcd " + strings.Join(s.client.Endpoints(), ",") + " prefix " + s.keys.prefix
}

// CheckWritable reports whether etcd takes a write now, for /readyz: a transaction whose
// condition is never true goes through the cluster's consensus like any write (so it fails
// without a leader or a quorum) and changes nothing.
func (s *Store) CheckWritable(ctx context.Context) error {
	never := clientv3.Compare(clientv3.ModRevision(s.keys.of(keyHead)), "<", 0)
	if _, err := s.client.Txn(ctx).If(never).Then(clientv3.OpPut(s.keys.of(keyHead), "")).Commit(); err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	return nil
}
