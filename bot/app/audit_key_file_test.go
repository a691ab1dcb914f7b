package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// testAuditKey is a key that reads as text, so a leak is easy to search for.
const testAuditKey = "audit-key-0123456789abcdef012345\n"

// writeKeyFile writes content to a file of mode perm (whatever the umask) and returns it.
func writeKeyFile(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditKeyFile: CAKEGATE_AUDIT_KEY_FILE is read like DATACAKE_TOKEN_FILE, and refused
// with the variable, the reason and the fix when it is not private or holds no usable key.
func TestAuditKeyFile(t *testing.T) {
	tests := []struct {
		name string
		file func(t *testing.T) string
		want []string // in the one problem; none for a good file
	}{
		{"OK", func(t *testing.T) string { return writeKeyFile(t, testAuditKey, 0o600) }, nil},
		{"OKGroupReads", func(t *testing.T) string { return writeKeyFile(t, testAuditKey, 0o440) }, nil},
		{"ErrOthersRead", func(t *testing.T) string { return writeKeyFile(t, testAuditKey, 0o644) },
			[]string{"open to other users (mode 0644)", "chmod 600"}},
		{"ErrGroupWrites", func(t *testing.T) string { return writeKeyFile(t, testAuditKey, 0o620) },
			[]string{"open to other users (mode 0620)", "chmod 600"}},
		{"ErrEmpty", func(t *testing.T) string { return writeKeyFile(t, "", 0o600) },
			[]string{"is empty", "head -c 32 /dev/urandom >"}},
		{"ErrTooShort", func(t *testing.T) string { return writeKeyFile(t, "short key\n", 0o600) },
			[]string{"holds 10 bytes, too short", "at least 32", "head -c 32 /dev/urandom >"}},
		{"ErrMissing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") },
			[]string{"cannot read", "head -c 32 /dev/urandom >"}},
		{"ErrFolder", func(t *testing.T) string { return t.TempDir() }, []string{"is not a file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file(t)
			env := validEnv()
			env["CAKEGATE_AUDIT_KEY_FILE"] = file
			cfg, err := LoadConfig(apptest.EnvOf(env))
			if tt.want == nil {
				if err != nil || cfg.AuditKey == nil || cfg.AuditKeyFile != file {
					t.Fatalf("LoadConfig: key %v from %q, %v; want the key of %s", cfg.AuditKey, cfg.AuditKeyFile, err, file)
				}
				return
			}
			if err == nil || cfg.AuditKey != nil {
				t.Fatalf("LoadConfig took %s", file)
			}
			msg := err.Error()
			for _, w := range append([]string{"CAKEGATE_AUDIT_KEY_FILE: ", file}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("the problem does not say %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, strings.TrimSpace(testAuditKey)) {
				t.Errorf("the problem shows the key:\n%s", msg)
			}

			// Every command that reads the key refuses it alike: a setting to fix, exit 2.
			var stdout, stderr bytes.Buffer
			if code := Serve(context.Background(), nil, apptest.EnvOf(env), &stderr); code != 2 || !strings.Contains(stderr.String(), "CAKEGATE_AUDIT_KEY_FILE: ") {
				t.Errorf("serve: exit %d, %s; want 2 naming CAKEGATE_AUDIT_KEY_FILE", code, stderr.String())
			}
			stderr.Reset()
			if code := Audit(context.Background(), []string{"verify"}, apptest.EnvOf(env), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "CAKEGATE_AUDIT_KEY_FILE: ") {
				t.Errorf("audit verify: exit %d, %s; want 2 naming CAKEGATE_AUDIT_KEY_FILE", code, stderr.String())
			}
		})
	}
}

// TestAuditKeyRedacted: the key is a secret like the tokens: should a log line ever carry
// it, it shows as [redacted].
func TestAuditKeyRedacted(t *testing.T) {
	env := validEnv()
	env["CAKEGATE_AUDIT_KEY_FILE"] = writeKeyFile(t, testAuditKey, 0o600)
	cfg, err := LoadConfig(apptest.EnvOf(env))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	NewLogger(cfg, &logs).Info("oops", "raw", testAuditKey, "trimmed", strings.TrimSpace(testAuditKey), "config", cfg, "key", cfg.AuditKey)
	if strings.Contains(logs.String(), "0123456789abcdef") || strings.Count(logs.String(), "[redacted]") != 2 {
		t.Fatalf("the key shows in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), cfg.AuditKey.ID()) {
		t.Fatalf("the log does not name the key by its id:\n%s", logs.String())
	}
}
