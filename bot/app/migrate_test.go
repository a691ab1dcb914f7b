package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

// TestMigrateToEtcd moves a bbolt database into etcd with `cakegate migrate --to etcd`, then
// runs the operator commands against etcd: audit verify and export, and a backup that
// opens as a bbolt file of the same installation.
func TestMigrateToEtcd(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cakegate.db")
	src, err := state.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Fill(t, src)
	installation, _, _ := src.Installation()
	want, _ := src.Stats(ctx)
	wantAudit, _ := src.AuditEvents(ctx, 0, 0)

	env := map[string]string{
		"CAKEGATE_DB":             dbPath,
		"CAKEGATE_ETCD_ENDPOINTS": srv.Endpoint,
		"CAKEGATE_ETCD_PREFIX":    etcdtest.Prefix(t),
	}
	run := func(cmd func(stdout, stderr *bytes.Buffer) int) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cmd(&stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	migrate := func() (int, string, string) {
		return run(func(o, e *bytes.Buffer) int { return Migrate(ctx, []string{"--to", "etcd"}, apptest.EnvOf(env), o, e) })
	}

	// While cakegate holds the file, nothing is copied.
	if code, _, stderr := migrate(); code != 2 || !strings.Contains(stderr, "in use by another cakegate process") || !strings.Contains(stderr, "stop it first") {
		t.Fatalf("migrate of a file in use: exit %d, %q; want 2 and to be told to stop cakegate", code, stderr)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := migrate()
	if code != 0 || !strings.Contains(stdout, "installation "+installation) || !strings.Contains(stdout, "chain intact") {
		t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if code, _, stderr := migrate(); code != 1 || !strings.Contains(stderr, "empty prefix") {
		t.Fatalf("second migrate: exit %d, %q; want a refusal to write over the copy", code, stderr)
	}

	env["CAKEGATE_STORE"] = "etcd"
	code, stdout, stderr = run(func(o, e *bytes.Buffer) int { return Audit(ctx, []string{"verify"}, apptest.EnvOf(env), o, e) })
	if code != 0 || !strings.Contains(stdout, "intact") {
		t.Fatalf("audit verify on etcd: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = run(func(o, e *bytes.Buffer) int { return Audit(ctx, []string{"export"}, apptest.EnvOf(env), o, e) })
	if code != 0 || strings.Count(stdout, "\n") != len(wantAudit) {
		t.Fatalf("audit export on etcd: exit %d, %d lines, want %d\nstderr: %s", code, strings.Count(stdout, "\n"), len(wantAudit), stderr)
	}

	backup := filepath.Join(dir, "backup.db")
	code, _, stderr = run(func(o, e *bytes.Buffer) int { return Backup([]string{backup}, apptest.EnvOf(env), o, e) })
	if code != 0 {
		t.Fatalf("backup of etcd: exit %d: %s", code, stderr)
	}
	restored, err := state.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	got, _ := restored.Stats(ctx)
	id, _, _ := restored.Installation()
	if id != installation || got.Requests != want.Requests || got.AuditEvents != want.AuditEvents || got.Outbox != want.Outbox {
		t.Fatalf("backup of etcd: installation %s, %+v; want %s, %+v", id, got, installation, want)
	}
}
