package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
	"github.com/cakegate/cakegate/state/storetest"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// verifyResult is what `cakegate audit verify` returned and printed.
type verifyResult struct {
	code           int
	stdout, stderr string
}

func runVerify(env map[string]string) verifyResult {
	var stdout, stderr bytes.Buffer
	code := Audit(context.Background(), []string{"verify"}, apptest.EnvOf(env), &stdout, &stderr)
	return verifyResult{code, stdout.String(), stderr.String()}
}

// expect fails the test unless r exited code and printed every one of want.
func (r verifyResult) expect(t *testing.T, what string, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, r.stdout, r.stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("%s: does not say %q\nstdout: %s\nstderr: %s", what, w, r.stdout, r.stderr)
		}
	}
}

// keyedDatabase writes a database that ran unkeyed (events 1 and 2), then was keyed with
// the key in keyFile (event 3 keys it; 4 and 5 follow), and returns its path.
func keyedDatabase(t *testing.T, keyFile string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	storetest.MustUpdate(t, s, id, func(r *commands.Request) { r.State = commands.StateApproved })
	s.Close()
	key, problem := loadAuditKey(apptest.EnvOf(map[string]string{auditKeyVariable: keyFile}))
	if problem != "" {
		t.Fatal(problem)
	}
	if s, err = state.Open(path, state.WithAuditKey(key.Key)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := startAuditChain(ctx, s, key.Key, storetest.T0, discardLogger()); err != nil {
		t.Fatal(err)
	}
	storetest.MustUpdate(t, s, id, func(r *commands.Request) { r.State = commands.StateActive })
	storetest.MustUpdate(t, s, id, func(r *commands.Request) { r.State = commands.StateRevoked })
	return path
}

// TestAuditVerifyKeyed: `cakegate audit verify` checks a keyed chain with the key and says
// from which event it is keyed; without the key or with another it exits 2 naming the
// event it could not check; an event rewritten with the chain recomputed without the key
// exits 2 (no retry mends it) naming the first event that no longer holds.
func TestAuditVerifyKeyed(t *testing.T) {
	keyFile := writeKeyFile(t, testAuditKey, 0o600)
	otherKey := writeKeyFile(t, strings.ToUpper(testAuditKey), 0o600)
	path := keyedDatabase(t, keyFile)

	runVerify(map[string]string{"CAKEGATE_DB": path, auditKeyVariable: keyFile}).expect(t, "with the key", 0,
		"audit log intact: 5 events", "keyed from event 3", "the events before event 3 are unkeyed")
	runVerify(map[string]string{"CAKEGATE_DB": path}).expect(t, "without the key", 2,
		"keyed from event 3", "CAKEGATE_AUDIT_KEY_FILE is not set", "the events before event 3 hold")
	runVerify(map[string]string{"CAKEGATE_DB": path, auditKeyVariable: otherKey}).expect(t, "with another key", 2,
		"not with the key in CAKEGATE_AUDIT_KEY_FILE", "event 3, the first keyed one, is the first that fails")

	for _, tc := range []struct {
		name string
		from uint64
		want string
	}{
		{"KeyedEvent", 4, "broken at event 4"},
		// Event 2 is unkeyed, but event 3's HMAC covers its hash.
		{"UnkeyedEvent", 2, "broken at event 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := keyedDatabase(t, keyFile)
			storetest.Rechain(t, path, tc.from, func(rec *state.AuditRecord) {
				if rec.Seq == tc.from {
					rec.Actor = "U8"
				}
			})
			runVerify(map[string]string{"CAKEGATE_DB": path, auditKeyVariable: keyFile}).expect(t, "a rewritten chain", 2, tc.want)
		})
	}
}

// TestAuditVerifyUnkeyed: an unkeyed chain verifies as before and says it is unkeyed and
// how to key it; with a key given, it is not taken for verified.
func TestAuditVerifyUnkeyed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	s.Close()
	runVerify(map[string]string{"CAKEGATE_DB": path}).expect(t, "no key", 0,
		"audit log intact: 1 events", "the chain is unkeyed", "could rewrite", "head -c 32 /dev/urandom", "CAKEGATE_AUDIT_KEY_FILE")
	runVerify(map[string]string{"CAKEGATE_DB": path, auditKeyVariable: writeKeyFile(t, testAuditKey, 0o600)}).expect(t, "a key", 2,
		"not keyed", "start cakegate once")
}

// TestAuditVerifyKeyedEtcd: the same on the etcd store, the keyed event rewritten in etcd
// with the chain (and the head) recomputed without the key.
func TestAuditVerifyKeyedEtcd(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	keyFile := writeKeyFile(t, testAuditKey, 0o600)
	key, _ := loadAuditKey(apptest.EnvOf(map[string]string{auditKeyVariable: keyFile}))
	s, err := etcdstore.Open(ctx, srv.Client(t), prefix, etcdstore.WithAuditKey(key.Key))
	if err != nil {
		t.Fatal(err)
	}
	if err := startAuditChain(ctx, s, key.Key, storetest.T0, discardLogger()); err != nil {
		t.Fatal(err)
	}
	storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	env := map[string]string{"CAKEGATE_STORE": "etcd", "CAKEGATE_ETCD_ENDPOINTS": srv.Endpoint, "CAKEGATE_ETCD_PREFIX": prefix, auditKeyVariable: keyFile}
	runVerify(env).expect(t, "with the key", 0, "audit log intact: 2 events", "keyed from its first event")

	// Event 2 says U8 asked; its hash and the head's are recomputed with plain SHA-256.
	client := srv.Client(t)
	resp, err := client.Get(ctx, prefix+"audit/00000000000000000002")
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("read event 2: %v", err)
	}
	var rec state.AuditRecord
	if err := json.Unmarshal(resp.Kvs[0].Value, &rec); err != nil {
		t.Fatal(err)
	}
	rec.Actor = "U8"
	canon, _ := json.Marshal(rec.AuditEvent)
	sum := sha256.Sum256(append([]byte(rec.PrevHash), canon...))
	rec.Hash = hex.EncodeToString(sum[:])
	v, _ := json.Marshal(rec)
	hr, err := client.Get(ctx, prefix+"head")
	if err != nil || len(hr.Kvs) == 0 {
		t.Fatalf("read head: %v", err)
	}
	var head map[string]any
	if err := json.Unmarshal(hr.Kvs[0].Value, &head); err != nil {
		t.Fatal(err)
	}
	head["audit_hash"] = rec.Hash
	hv, _ := json.Marshal(head)
	if _, err := client.Put(ctx, prefix+"audit/00000000000000000002", string(v)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, prefix+"head", string(hv)); err != nil {
		t.Fatal(err)
	}
	runVerify(env).expect(t, "a rewritten event", 2, "broken at event 2")
	delete(env, auditKeyVariable)
	runVerify(env).expect(t, "without the key", 2, "keyed from event 1", "CAKEGATE_AUDIT_KEY_FILE is not set")
}

// TestMigrateKeyedChain: migrate refuses, before copying anything, a keyed chain it could
// not check the copy of (no key, or another key): a setting to fix, exit 2. With the key,
// the copy in etcd is keyed from the same event and verifies.
func TestMigrateKeyedChain(t *testing.T) {
	ctx := context.Background()
	srv := etcdtest.Start(t)
	keyFile := writeKeyFile(t, testAuditKey, 0o600)
	env := map[string]string{"CAKEGATE_DB": keyedDatabase(t, keyFile), "CAKEGATE_ETCD_ENDPOINTS": srv.Endpoint, "CAKEGATE_ETCD_PREFIX": etcdtest.Prefix(t)}
	migrate := func(key string) verifyResult {
		env[auditKeyVariable] = key
		var stdout, stderr bytes.Buffer
		code := Migrate(ctx, []string{"--to", "etcd"}, apptest.EnvOf(env), &stdout, &stderr)
		return verifyResult{code, stdout.String(), stderr.String()}
	}
	migrate("").expect(t, "migrate without the key", 2, "keyed from event 3", "set CAKEGATE_AUDIT_KEY_FILE")
	migrate(writeKeyFile(t, strings.ToUpper(testAuditKey), 0o600)).expect(t, "migrate with another key", 2, "keyed from event 3")
	if resp, err := srv.Client(t).Get(ctx, env["CAKEGATE_ETCD_PREFIX"], clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || resp.Count != 0 {
		t.Fatalf("a refused migrate wrote %v keys (%v)", resp, err)
	}
	migrate(keyFile).expect(t, "migrate with the key", 0, "chain intact")
	env["CAKEGATE_STORE"] = "etcd"
	runVerify(env).expect(t, "verify the copy", 0, "audit log intact: 5 events", "keyed from event 3")
}
