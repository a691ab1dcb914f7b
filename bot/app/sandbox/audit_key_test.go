package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/storetest"
)

// serveUntilRunning runs `cakegate serve` with env until it says it is running, then stops
// it as SIGTERM does; it returns the log, and fails unless serve exited 0.
func serveUntilRunning(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx := testContext(t)
	logs := &signalWriter{want: "cakegate is running", seen: make(chan struct{})}
	seen := logs.seen
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	exited := make(chan int, 1)
	go func() { exited <- app.Serve(runCtx, nil, apptest.EnvOf(env), logs) }()
	select {
	case <-seen:
	case code := <-exited:
		t.Fatalf("serve exited %d before it ran:\n%s", code, logs)
	case <-ctx.Done():
		t.Fatalf("serve did not start:\n%s", logs)
	}
	stop()
	if code := <-exited; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logs)
	}
	return logs.String()
}

// verify runs `cakegate audit verify` with env; it returns the exit code and the output.
func verify(env map[string]string) (int, string) {
	var out bytes.Buffer
	code := app.Audit(context.Background(), []string{"verify"}, apptest.EnvOf(env), &out, &out)
	return code, out.String()
}

// TestServeKeysTheAuditChain: a database that ran without a key is keyed when cakegate
// starts with CAKEGATE_AUDIT_KEY_FILE, from the next event on and once; cakegate then
// refuses to start without the key (exit 2), verify checks the chain with the key, and an
// event rewritten with the chain recomputed without the key is found.
func TestServeKeysTheAuditChain(t *testing.T) {
	w := newStartupWorld(t)
	keyFile := filepath.Join(w.dir, "audit.key")
	if err := os.WriteFile(keyFile, []byte("audit-key-0123456789abcdef0123456"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := w.env(map[string]string{"CAKEGATE_AUDIT_KEY_FILE": keyFile})
	dbPath := env["CAKEGATE_DB"]

	// A database that ran without a key: event 1.
	s, err := state.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	r := &commands.Request{Requester: sandboxAlice, State: commands.StatePending}
	if err := s.Create(context.Background(), r, commands.Change{Audit: []commands.AuditEvent{{Actor: sandboxAlice, Action: "requested"}}}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	logs := serveUntilRunning(t, env)
	mustContain(t, "the first start with the key", logs, "keyed from event 2 on", "the events before event 2 were written unkeyed")
	logs = serveUntilRunning(t, env)
	mustContain(t, "the second start", logs, "the audit chain is keyed from event 2")
	mustNotContain(t, "the second start", logs, "keyed from event 3", "unkeyed")

	// How many events follow depends on which sweeps ran before each stop (the request has
	// a role the policy lacks: reconcile cancels it); each must be keyed.
	code, out := verify(env)
	if code != 0 || !strings.Contains(out, "audit log intact: ") || !strings.Contains(out, "keyed from event 2") {
		t.Fatalf("verify with the key: exit %d\n%s", code, out)
	}

	noKey := w.env(nil)
	got := serveCakegate(t, noKey)
	if got.code != 2 || !strings.Contains(got.stderr, "CAKEGATE_AUDIT_KEY_FILE is not set, but the audit chain is keyed from event 2") {
		t.Fatalf("serve without the key: exit %d, want 2 naming the setting:\n%s", got.code, got.stderr)
	}
	otherKey := filepath.Join(w.dir, "other.key")
	if err := os.WriteFile(otherKey, []byte("another-key-0123456789abcdef0123"), 0o600); err != nil {
		t.Fatal(err)
	}
	got = serveCakegate(t, w.env(map[string]string{"CAKEGATE_AUDIT_KEY_FILE": otherKey}))
	if got.code != 2 || !strings.Contains(got.stderr, "but the audit chain is keyed with key") {
		t.Fatalf("serve with another key: exit %d, want 2 naming the setting:\n%s", got.code, got.stderr)
	}
	if code, out := verify(noKey); code != 2 || !strings.Contains(out, "keyed from event 2") {
		t.Fatalf("verify without the key: exit %d, want 2:\n%s", code, out)
	}

	// Someone with write access to the file, not the key, says event 1 was Bob's, and
	// recomputes every hash after it.
	storetest.Rechain(t, dbPath, 1, func(rec *state.AuditRecord) {
		if rec.Seq == 1 {
			rec.Actor = sandboxBob
		}
	})
	if code, out := verify(env); code != 2 || !strings.Contains(out, "broken at event 2") {
		t.Fatalf("verify of the rewritten chain: exit %d, want 1 naming event 2:\n%s", code, out)
	}
}

// TestServeSaysTheAuditChainIsUnkeyed: without a key cakegate runs as before and says at
// start that the chain is unkeyed, what that allows, and how to key it.
func TestServeSaysTheAuditChainIsUnkeyed(t *testing.T) {
	w := newStartupWorld(t)
	logs := serveUntilRunning(t, w.env(nil))
	mustContain(t, "the start-up log", logs, "the audit chain is unkeyed", "could rewrite", "CAKEGATE_AUDIT_KEY_FILE", "head -c 32 /dev/urandom")
}
