package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state"
)

// TestBackupNeverReplacesTheDatabase: while cakegate runs, a backup aimed at its own
// database, under any name or link, is refused (--force or not) and the live file stays
// the one the bot writes to; an existing file is replaced only with --force; a folder that
// takes no file is named as the folder.
func TestBackupNeverReplacesTheDatabase(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	db := s.app.Config().DBPath
	env := []string{"CAKEGATE_DB=" + db, "CAKEGATE_STORE="}
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	symlink := filepath.Join(dir, "link.db")
	if err := os.Symlink(db, symlink); err != nil {
		t.Fatal(err)
	}
	linkedDir := filepath.Join(dir, "linked-folder")
	if err := os.Symlink(filepath.Dir(db), linkedDir); err != nil {
		t.Fatal(err)
	}
	hardlink := filepath.Join(dir, "hard.db")
	if err := os.Link(db, hardlink); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "yesterday.db")
	if err := os.WriteFile(existing, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"TheDatabase", []string{"backup", db}, "is the database itself"},
		{"TheDatabaseForced", []string{"backup", "--force", db}, "is the database itself"},
		{"TheDatabaseSpeltOtherwise", []string{"backup", filepath.Join(filepath.Dir(db), ".", filepath.Base(db))}, "is the database itself"},
		{"ASymlinkToIt", []string{"backup", "--force", symlink}, "is the database itself"},
		{"AHardLinkToIt", []string{"backup", hardlink, "--force"}, "is the database itself"},
		{"ThroughALinkedFolder", []string{"backup", "--force", filepath.Join(linkedDir, filepath.Base(db))}, "is the database itself"},
		{"TheControlSocket", []string{"backup", "--force", state.ControlPath(db)}, "beside its database"},
		{"AnExistingFile", []string{"backup", existing}, existing + " exists: give a new file name, or add --force to replace it"},
		{"AFolder", []string{"backup", dir}, dir + " is a folder"},
		{"AMissingFolder", []string{"backup", filepath.Join(dir, "nope", "x.db")}, "cannot write in the folder " + filepath.Join(dir, "nope") + " ("},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runBinary(t, env, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "written") {
				t.Fatalf("cakegate %s: exit %d, %q %q; want exit 2 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
			}
			if strings.Contains(errOut, ".cakegate-backup") {
				t.Errorf("the message names a temporary file: %s", errOut)
			}
		})
	}
	after, err := os.Stat(db)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live database was replaced (%v)", err)
	}
	if data, _ := os.ReadFile(existing); string(data) != "yesterday's backup" {
		t.Fatal("a refused backup changed the existing file")
	}
	// The bot still writes to the file the database path names.
	if _, err := s.slash(testContext(t), sandboxAlice, `request role=viewer devices=SN-1001 reason="after the refusals"`); err != nil {
		t.Fatal(err)
	}

	if os.Getuid() != 0 { // root writes in any folder
		locked := filepath.Join(t.TempDir(), "locked")
		if err := os.Mkdir(locked, 0o500); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runBinary(t, env, "backup", filepath.Join(locked, "x.db"))
		if code != 2 || !strings.Contains(errOut, "cannot write in the folder "+locked+" (permission denied)") {
			t.Errorf("backup into a read-only folder: exit %d, %q", code, errOut)
		}
	}

	out, errOut, code := runBinary(t, env, "backup", "--force", existing)
	if code != 0 || !strings.Contains(out, "backup written to "+existing) {
		t.Fatalf("backup --force over an old backup: exit %d, %q %q", code, out, errOut)
	}
	copyStore, err := state.Open(existing)
	if err != nil {
		t.Fatalf("the forced backup does not open: %v", err)
	}
	defer copyStore.Close()
	if r, err := copyStore.Get(testContext(t), 1); err != nil || r.Reason != "after the refusals" {
		t.Fatalf("R1 in the forced backup: %+v %v", r, err)
	}
}

// TestSecondServeOnOneDatabaseIsRefused: a second `cakegate serve` on the database a
// running cakegate holds stops at once, exit 2, naming the first's pid; it never waits
// for the first to let go.
func TestSecondServeOnOneDatabaseIsRefused(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	cfg := s.app.Config()
	env := []string{
		"SLACK_BOT_TOKEN=xoxb-second", "SLACK_APP_TOKEN=", "SLACK_SIGNING_SECRET=second-signing-secret",
		"SLACK_API_URL=" + closedURL(t), "DATACAKE_TOKEN=dc-second", "DATACAKE_TOKEN_FILE=", "DATACAKE_API_URL=" + closedURL(t),
		"CAKEGATE_CONFIG=" + cfg.PolicyPath, "CAKEGATE_DB=" + cfg.DBPath, "CAKEGATE_ADDR=127.0.0.1:0", "CAKEGATE_STORE=", "CAKEGATE_AUDIT_KEY_FILE=",
	}
	start := time.Now()
	code, out := runCakegate(t, env, "serve")
	took := time.Since(start)
	want := "database " + cfg.DBPath + " is in use by another cakegate process (pid " + strconv.Itoa(os.Getpid()) + ", started as: "
	if code != 2 || !strings.Contains(out, want) || !strings.Contains(out, "stop it first") {
		t.Fatalf("second serve: exit %d, want 2 and %q in:\n%s", code, want, out)
	}
	if strings.Contains(out, "is running in") {
		t.Fatalf("the second serve started:\n%s", out)
	}
	t.Logf("the second serve was refused in %v", took.Round(time.Millisecond))
	// The first still works.
	if _, err := s.slash(testContext(t), sandboxAlice, `request role=viewer devices=SN-1001 reason="still here"`); err != nil {
		t.Fatal(err)
	}
}
