package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestDatacakeTokenFileIsReadAgainWhenItChanges: rotating the token is writing the new one
// to DATACAKE_TOKEN_FILE; the next Datacake call uses it, with no restart. The token never
// reaches the log.
func TestDatacakeTokenFileIsReadAgainWhenItChanges(t *testing.T) {
	ctx := testContext(t)
	w := newStartupWorld(t)
	w.datacake.AddToken("dc-rotated", map[string][]string{sandboxWorkspace: {"members"}})
	file := filepath.Join(w.dir, "datacake-token")
	write := func(token string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(file+".new", []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file+".new", at, at); err != nil {
			t.Fatal(err)
		}
		// As a secret store or Kubernetes does it: a new file renamed into place.
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	write(sandboxDCToken, start)
	logs := &apptest.SyncBuffer{}
	a, _ := runApp(t, w.env(map[string]string{"DATACAKE_TOKEN": "", "DATACAKE_TOKEN_FILE": file}), logs, app.Options{HealthInterval: time.Hour})
	select {
	case <-a.Ready():
	case <-ctx.Done():
		t.Fatalf("not ready: %v", a.Readiness())
	}

	// A token Datacake does not know: the very next call is refused, so the file was read.
	write("dc-not-a-token", start.Add(time.Minute))
	if _, err := a.Service().Reconcile(ctx); err == nil {
		t.Fatal("reconcile worked with a refused token in the file: the file was not read again")
	}
	// The new, good token: calls work again.
	write("dc-rotated", start.Add(2*time.Minute))
	if _, err := a.Service().Reconcile(ctx); err != nil {
		t.Fatalf("reconcile after the rotation: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "DATACAKE_TOKEN_FILE changed"); n != 2 {
		t.Errorf("want two INFO lines for two changes, got %d:\n%s", n, out)
	}
	for _, token := range []string{sandboxDCToken, "dc-not-a-token", "dc-rotated"} {
		if strings.Contains(out, token) {
			t.Errorf("the log shows a Datacake token:\n%s", out)
		}
	}
}
