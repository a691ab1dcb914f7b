package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestBackupReportsFailure: a backup that could not be taken says so and exits 2 (there is
// no database to copy: a setting to fix), and leaves no file where the backup should be. (A shadowed err once made it report success.)
func TestBackupReportsFailure(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "backup.db")
	env := apptest.EnvOf(map[string]string{"CAKEGATE_DB": filepath.Join(dir, "missing.db")})
	var stdout, stderr bytes.Buffer
	code := Backup([]string{dest}, env, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "no database at") || strings.Contains(stdout.String(), "written") {
		t.Fatalf("backup of a missing database: exit %d, stdout %q, stderr %q; want exit 2 naming the missing database", code, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("a failed backup left a file behind")
	}
}
