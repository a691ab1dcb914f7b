package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state"
)

// Each database gets its own installation id when it is created, and keeps it.
func TestInstallation(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) (string, time.Time) {
		t.Helper()
		s, err := state.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		id, created, err := s.Installation()
		if err != nil {
			t.Fatal(err)
		}
		return id, created
	}
	a, created := open("a.db")
	if !regexp.MustCompile(`^[a-z2-9]{6}$`).MatchString(a) {
		t.Fatalf("installation id %q: want six lowercase letters and digits", a)
	}
	if time.Since(created) > time.Minute || created.IsZero() {
		t.Errorf("created %v, want about now", created)
	}
	if again, _ := open("a.db"); again != a {
		t.Errorf("reopened: %q, want %q", again, a)
	}
	if b, _ := open("b.db"); b == a {
		t.Errorf("two databases share installation id %q", a)
	}
}

func TestReadInstallation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cakegate.db")
	if _, _, err := state.ReadInstallation(path); !errors.Is(err, state.ErrNoDatabase) {
		t.Fatalf("missing file: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("ReadInstallation created the file")
	}
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := s.Installation()
	if _, _, err := state.ReadInstallation(path); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("held by a running cakegate: %v, want ErrLocked", err)
	}
	s.Close()
	if got, _, err := state.ReadInstallation(path); err != nil || got != want {
		t.Fatalf("got %q %v, want %q", got, err, want)
	}
}
