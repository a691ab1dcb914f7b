package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

const migrateUsage = "usage: cakegate migrate --to etcd"

// Migrate is `cakegate migrate --to etcd`: it copies the bbolt database (CAKEGATE_DB) into
// etcd (CAKEGATE_ETCD_*) under a prefix that must be empty, then checks the copy: the same
// installation id, counts and an intact audit chain. cakegate must be stopped, since
// what it wrote after the copy would be lost; the bbolt file is left as it was.
func Migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelpFlag(args[0]) {
		fmt.Fprintln(stderr, migrateUsage)
		return ExitOK
	}
	if len(args) != 2 || args[0] != "--to" || args[1] != "etcd" {
		fmt.Fprintln(stderr, migrateUsage)
		return ExitFix
	}
	key, problem := loadAuditKey(getenv)
	if problem != "" {
		fmt.Fprintln(stderr, "migrate:", problem)
		return ExitFix
	}
	if err := migrateToEtcd(ctx, dbPathFrom(getenv), etcdConfig(getenv), key.Key, stdout); err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return exitCodeOf(err)
	}
	return ExitOK
}

// migrateToEtcd copies the file at dbPath into etcd and checks the copy, a keyed audit
// chain with key, which must then be the chain's.
func migrateToEtcd(ctx context.Context, dbPath string, cfg etcdstore.Config, key *state.AuditKey, stdout io.Writer) error {
	if len(cfg.Endpoints) == 0 {
		return configError{"CAKEGATE_ETCD_ENDPOINTS is not set: give the etcd members' client URLs"}
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database at %s (CAKEGATE_DB): %w", dbPath, errors.Unwrap(err))
	}
	src, err := state.Open(dbPath, state.WithLockTimeout(300*time.Millisecond))
	if err != nil {
		// In use: Open's error names the holder and says to stop it; what cakegate wrote
		// after the copy would be lost.
		return err
	}
	defer src.Close()
	want, err := src.Stats(ctx)
	if err != nil {
		return err
	}
	keying, err := src.AuditKeying(ctx)
	if err != nil {
		return err
	}
	if auditKeyMismatch(keying, key) != "" {
		// Found before anything is copied: the copy's chain could not be checked.
		return configError{fmt.Sprintf("the audit chain is keyed from event %d with key %s, and the copy is checked with it: "+
			"set %s to the key file cakegate runs with", keying.From, keying.KeyID, auditKeyVariable)}
	}
	client, err := etcdstore.Dial(cfg)
	if err != nil {
		return err
	}
	defer client.Close()
	// The client waits for a connection as long as its context lasts: without a first
	// answer within a bound, an etcd that does not answer would hold the copy's first
	// write forever. Nothing is copied yet.
	if err := etcdstore.Reach(ctx, client, cfg); err != nil {
		return err
	}
	prefix := orDefault(cfg.Prefix, etcdstore.DefaultPrefix)
	if err := src.Export(ctx, func(c state.Content) error {
		return etcdstore.Import(ctx, client, prefix, c, cfg.MaxTxnOps)
	}); err != nil {
		return err
	}

	dst, err := etcdstore.Open(ctx, client, prefix, etcdstore.WithAuditKey(key))
	if err != nil {
		return fmt.Errorf("open the copy: %w", err)
	}
	got, err := dst.Stats(ctx)
	if err != nil {
		return err
	}
	if got.Requests != want.Requests || got.AuditEvents != want.AuditEvents || got.Outbox != want.Outbox {
		return fmt.Errorf("the copy holds %d requests, %d audit events and %d notifications; the file %d, %d and %d",
			got.Requests, got.AuditEvents, got.Outbox, want.Requests, want.AuditEvents, want.Outbox)
	}
	if broken, err := dst.VerifyAudit(ctx); broken != 0 || err != nil {
		return fmt.Errorf("the copy's audit log does not verify (event %d): %w", broken, err)
	}
	id, _, _ := dst.Installation()
	fmt.Fprintf(stdout, "migrated %s to etcd %v prefix %s: installation %s, %d requests, %d audit events (chain intact), %d queued notifications.\n"+
		"Start cakegate with CAKEGATE_STORE=etcd; keep %s as a backup.\n",
		dbPath, cfg.Endpoints, prefix, id, got.Requests, got.AuditEvents, got.Outbox, dbPath)
	return nil
}
