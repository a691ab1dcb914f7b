package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// Store is what the app needs of its database, the bbolt file (state.Store) or etcd
// (etcdstore.Store): the use cases' ports, the bot's outbox, and what the metrics, the
// health check and the operator commands read.
type Store interface {
	commands.Store
	commands.Journal
	commands.AuditReader
	commands.Memos
	commands.ReviewStore
	bot.Outbox
	OutboxDepth(ctx context.Context) (int, error)
	Stats(ctx context.Context) (state.Stats, error)
	AuditEvents(ctx context.Context, afterSeq uint64, limit int) ([]state.AuditRecord, error)
	AuditForRequest(ctx context.Context, id commands.RequestID) ([]state.AuditRecord, error)
	VerifyAudit(ctx context.Context) (uint64, error)
	// AuditKeying and KeyAudit say how the audit chain is keyed, and key it at start.
	AuditKeying(ctx context.Context) (state.AuditKeying, error)
	KeyAudit(ctx context.Context, e commands.AuditEvent) (state.AuditKeying, bool, error)
	Installation() (id string, created time.Time, err error)
	// Check reports whether the store can be read now, for /readyz.
	Check(ctx context.Context) error
	// CheckWritable reports whether the store takes a write now, for the readiness check.
	CheckWritable(ctx context.Context) error
	Close() error
}

// Both stores are complete.
var (
	_ Store = (*state.Store)(nil)
	_ Store = (*etcdstore.Store)(nil)
)

// The values of CAKEGATE_STORE.
const (
	storeBbolt = "bbolt"
	storeEtcd  = "etcd"
)

// openStore opens the store cfg names, chaining the audit log with cfg's key.
func openStore(ctx context.Context, cfg Config, opts Options) (Store, error) {
	if cfg.Store == storeEtcd {
		return etcdstore.Connect(ctx, cfg.Etcd, append(slices.Clone(opts.EtcdOptions), etcdstore.WithAuditKey(cfg.AuditKey))...)
	}
	return state.Open(cfg.DBPath, append(slices.Clone(opts.StoreOptions), state.WithAuditKey(cfg.AuditKey))...)
}

// describeStore names the store for the start-up log line and check-config.
func describeStore(cfg Config) string {
	if cfg.Store == storeEtcd {
		return fmt.Sprintf("etcd %s prefix %s", strings.Join(cfg.Etcd.Endpoints, ","), orDefault(cfg.Etcd.Prefix, etcdstore.DefaultPrefix))
	}
	return "bbolt " + cfg.DBPath
}
