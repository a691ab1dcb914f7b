package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/storetest"
)

// TestCheckConfigAuditKeying: check-config says how the database's audit chain is keyed
// against the key given, and fails, with serve's words, where serve would refuse to start.
func TestCheckConfigAuditKeying(t *testing.T) {
	keyFile := writeKeyFile(t, testAuditKey, 0o600)
	otherKey := writeKeyFile(t, strings.ToUpper(testAuditKey), 0o600)
	keyed := keyedDatabase(t, keyFile)
	unkeyed := filepath.Join(t.TempDir(), "cakegate.db")
	s, err := state.Open(unkeyed)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustCreate(t, s, storetest.NewRequest("U1"))
	s.Close()
	missing := filepath.Join(t.TempDir(), "cakegate.db")

	for _, tc := range []struct {
		name     string
		db, key  string
		want     string
		problems int
	}{
		{"UnkeyedNoKey", unkeyed, "", "warn  audit chain unkeyed: anyone who can write the database could rewrite", 0},
		{"UnkeyedKey", unkeyed, keyFile, "ok    audit chain not keyed yet: the next start keys it from event 2 on", 0},
		{"MissingNoKey", missing, "", "warn  audit chain unkeyed", 0},
		{"MissingKey", missing, keyFile, "ok    audit chain not keyed yet: the next start keys it from event 1 on", 0},
		{"KeyedKey", keyed, keyFile, "ok    audit chain keyed from event 3 with key ", 0},
		{"KeyedNoKey", keyed, "", "FAIL  CAKEGATE_AUDIT_KEY_FILE is not set, but the audit chain is keyed from event 3", 1},
		{"KeyedOtherKey", keyed, otherKey, "but the audit chain is keyed with key ", 1},
		{"KeyRefused", keyed, writeKeyFile(t, testAuditKey, 0o644), "skip  the audit chain's keying: CAKEGATE_AUDIT_KEY_FILE was refused", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := validEnv()
			env["CAKEGATE_DB"] = tc.db
			if tc.key != "" {
				env[auditKeyVariable] = tc.key
			}
			cfg, _ := LoadConfig(apptest.EnvOf(env))
			var out bytes.Buffer
			c := &checker{out: &out}
			checkDatabase(context.Background(), c, cfg)
			if !strings.Contains(out.String(), tc.want) || c.problems != tc.problems {
				t.Fatalf("check-config said, with %d problem(s):\n%s\nwant %d problem(s) and %q", c.problems, out.String(), tc.problems, tc.want)
			}
		})
	}
}
