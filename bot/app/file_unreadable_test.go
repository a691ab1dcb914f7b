package app

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUnreadableFileSaysWhoAndHow: a token file this user may not read (the image's user
// 65532 and a 0600 file of another's) is explained with the user, the owner and the fixes.
// The error is made by hand: the tests may run as root, who reads every file.
func TestUnreadableFileSaysWhoAndHow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "datacake-token")
	if err := os.WriteFile(path, []byte("dc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := unreadableFile(path, &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission})
	for _, want := range []string{
		"cakegate runs as user " + strconv.Itoa(os.Getuid()), "owned by user", "mode 0600",
		"chown " + strconv.Itoa(os.Getuid()) + " " + path, "chmod 0640", "defaultMode: 0440", "fsGroup",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	missing := unreadableFile(path+".nope", &fs.PathError{Op: "open", Path: path + ".nope", Err: fs.ErrNotExist})
	if strings.Contains(missing, "chown") {
		t.Errorf("a missing file is explained as a permission problem: %q", missing)
	}
}
