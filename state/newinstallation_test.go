package state_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state"
)

// WithNewInstallation names a new database's installation and its birth; a database that
// has one keeps it.
func TestWithNewInstallation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cakegate.db")
	born := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s, err := state.Open(path, state.WithNewInstallation(func() (string, time.Time) { return "sim001", born }))
	if err != nil {
		t.Fatal(err)
	}
	id, created, err := s.Installation()
	s.Close()
	if err != nil || id != "sim001" || !created.Equal(born) {
		t.Fatalf("got %q %v %v, want sim001 born %v", id, created, err, born)
	}
	s, err = state.Open(path, state.WithNewInstallation(func() (string, time.Time) { return "other1", born.Add(time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if id, _, _ := s.Installation(); id != "sim001" {
		t.Fatalf("reopened: installation %q, want sim001 kept", id)
	}
}
