package sandbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/state"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// cakegateBinary builds cakegate once per test run, so commands are tested as users run them.
func cakegateBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cakegate-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "cakegate")
		// Built as the release is (.ci/build: CGO_ENABLED=0, -trimpath), so the packages it
		// compiles are the ones the release build compiled, from the build cache.
		out, err := exec.Command("../../../.ci/build", binaryPath).CombinedOutput()
		if err != nil {
			binaryErr = err
			binaryPath = string(out)
		}
	})
	if binaryErr != nil {
		t.Fatalf("go build: %v\n%s", binaryErr, binaryPath)
	}
	return binaryPath
}

func TestMain(m *testing.M) {
	if os.Getenv(bareHandlerEnv) != "" {
		serveBareHandler()
		return
	}
	code := m.Run()
	if binaryPath != "" && binaryErr == nil {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

// runBinary runs the built cakegate with args and extra environment; it returns stdout,
// stderr and the exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(cakegateBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	return runCommand(t, cmd)
}

// runCommand runs cmd and returns what it printed and its exit code; a command that could
// not be run fails the test.
func runCommand(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestBackupAndAuditWhileRunning takes a backup and reads the audit log from the command line
// while the bot holds the database, then tampers with one byte of the copy and has verify
// find it.
func TestBackupAndAuditWhileRunning(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="backup test"`); err != nil {
		t.Fatal(err)
	}
	msg, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve"); err != nil {
		t.Fatal(err)
	}
	s.revealR1(t, ctx)
	env := []string{"CAKEGATE_DB=" + s.app.Config().DBPath}

	backup := filepath.Join(t.TempDir(), "copy.db")
	out, errOut, code := runBinary(t, env, "backup", backup)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, fi.Mode())
	}
	copyStore, err := state.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := copyStore.Get(ctx, 1); err != nil || r.State != "active" {
		t.Fatalf("R1 in the backup: %v %v", r, err)
	}
	copyStore.Close()

	out, errOut, code = runBinary(t, env, "audit", "export")
	if code != 0 {
		t.Fatalf("audit export: exit %d: %s", code, errOut)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec state.AuditRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit export line %q: %v", line, err)
		}
		if rec.Hash == "" {
			t.Fatalf("exported record without its hash: %s", line)
		}
		actions = append(actions, rec.Action)
	}
	if got := strings.Join(actions, ","); got != "requested,approved,reveal,revealed" {
		t.Fatalf("audit export: got %s", got)
	}
	out, errOut, code = runBinary(t, env, "audit", "export", "--request", "R2")
	if code != 2 || out != "" || !strings.Contains(errOut, "there is no request R2") {
		t.Fatalf("export of a request that does not exist: exit %d, %q %q; want exit 2 saying so", code, out, errOut)
	}
	out, _, code = runBinary(t, env, "audit", "export", "--since", "2099-01-01")
	if code != 0 || out != "" {
		t.Fatalf("export since the future: exit %d, %q", code, out)
	}
	out, errOut, code = runBinary(t, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log intact: 4 events") {
		t.Fatalf("verify: exit %d: %s%s", code, out, errOut)
	}

	// Change one byte of the second event in the copy: verify must name event 2.
	db, err := bbolt.Open(backup, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, 2)
		v := append([]byte(nil), b.Get(key)...)
		i := bytes.Index(v, []byte("approved"))
		if i < 0 {
			t.Fatalf("event 2 is not the approval: %s", v)
		}
		v[i] = 'A'
		return b.Put(key, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runBinary(t, []string{"CAKEGATE_DB=" + backup}, "audit", "verify")
	if code == 0 || !strings.Contains(errOut, "broken at event 2") {
		t.Fatalf("verify of a tampered log: exit %d: %s%s", code, out, errOut)
	}
}

func TestCommandLineUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"version"}, 0, "cakegate"},
		{[]string{"help"}, 0, "usage: cakegate"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"backup"}, 2, "usage: cakegate backup [--force] FILE"},
		{[]string{"audit"}, 2, "usage: cakegate audit"},
		{[]string{"audit", "export", "--since", "yesterday"}, 2, "--since yesterday"},
		{[]string{"audit", "verify"}, 2, "no database at"},
	} {
		out, errOut, code := runBinary(t, []string{"CAKEGATE_DB=" + filepath.Join(dir, "missing.db")}, tc.args...)
		if code != tc.wantCode || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("cakegate %v: exit %d, %q%q; want exit %d and %q", tc.args, code, out, errOut, tc.wantCode, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("a read-only command created the database")
	}
}

// freeAddr is a loopback address nothing listens on just now.
func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
