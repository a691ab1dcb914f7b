package state_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/state"
)

// MustOpen opens a store in a fresh temporary directory and closes it when the test ends.
func MustOpen(tb testing.TB) *state.Store {
	tb.Helper()
	return MustOpenAt(tb, filepath.Join(tb.TempDir(), "cakegate.db"))
}

// MustOpenAt opens the store at path with opts and closes it when the test ends.
func MustOpenAt(tb testing.TB, path string, opts ...state.Option) *state.Store {
	tb.Helper()
	s, err := state.Open(path, append([]state.Option{state.WithLockTimeout(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustClose closes s, for tests that reopen or tamper with the file afterwards.
func MustClose(tb testing.TB, s *state.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// rawUpdate changes a closed database file with bbolt directly, the way damage or a newer
// cakegate would.
func rawUpdate(tb testing.TB, path string, fn func(tx *bbolt.Tx) error) {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatalf("open raw: %v", err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		tb.Fatalf("raw update: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Run("CreatesPrivateFile", func(t *testing.T) {
		s := MustOpen(t)
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Fatalf("mode %v, want 0600", got)
		}
	})

	t.Run("TightensLooseMode", func(t *testing.T) {
		s := MustOpen(t)
		MustClose(t, s)
		if err := os.Chmod(s.Path(), 0o644); err != nil {
			t.Fatal(err)
		}
		MustOpenAt(t, s.Path())
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Fatalf("mode after reopen %v, want 0600", got)
		}
	})

	t.Run("ErrLocked", func(t *testing.T) {
		s := MustOpen(t)
		done := make(chan error, 1)
		go func() {
			s2, err := state.Open(s.Path(), state.WithLockTimeout(100*time.Millisecond))
			if err == nil {
				s2.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, state.ErrLocked) {
				t.Fatalf("second Open: got %v, want ErrLocked", err)
			}
			want := "database " + s.Path() + " is in use by another cakegate process (pid " + strconv.Itoa(os.Getpid())
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("second Open: got %q, want it to say %q", err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("second Open did not give up within 10s with a 100ms lock timeout")
		}
	})

	t.Run("HolderFileGoesWithTheLock", func(t *testing.T) {
		s := MustOpen(t)
		if _, err := os.Stat(state.HolderPath(s.Path())); err != nil {
			t.Fatalf("no holder file while the store is open: %v", err)
		}
		MustClose(t, s)
		if _, err := os.Stat(state.HolderPath(s.Path())); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the holder file outlived the store: %v", err)
		}
	})

	t.Run("NotADatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cakegate.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("approvers: [U1]\n", 400)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := state.Open(path, state.WithLockTimeout(100*time.Millisecond))
		if !errors.Is(err, state.ErrNotCakegate) || !strings.Contains(err.Error(), "CAKEGATE_DB") {
			t.Fatalf("Open of a YAML file: got %v, want ErrNotCakegate naming CAKEGATE_DB", err)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		s := MustOpen(t)
		MustClose(t, s)
		newer := strconv.Itoa(state.SchemaVersion + 1)
		rawUpdate(t, s.Path(), func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(newer))
		})
		_, err := state.Open(s.Path(), state.WithLockTimeout(100*time.Millisecond))
		if !errors.Is(err, state.ErrNewerSchema) {
			t.Fatalf("Open: got %v, want ErrNewerSchema", err)
		}
		if !strings.Contains(err.Error(), "schema version "+newer) {
			t.Fatalf("Open: %q does not name the file's version %s", err, newer)
		}
	})

	t.Run("ErrNotCakegate", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		rawUpdate(t, path, func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket([]byte("something-else"))
			return err
		})
		_, err := state.Open(path, state.WithLockTimeout(100*time.Millisecond))
		if !errors.Is(err, state.ErrNotCakegate) {
			t.Fatalf("Open: got %v, want ErrNotCakegate", err)
		}
	})

	t.Run("WritesSchemaVersion", func(t *testing.T) {
		s := MustOpen(t)
		MustClose(t, s)
		rawUpdate(t, s.Path(), func(tx *bbolt.Tx) error {
			got := string(tx.Bucket([]byte("meta")).Get([]byte("schema_version")))
			if want := strconv.Itoa(state.SchemaVersion); got != want {
				t.Errorf("schema_version %q, want %q", got, want)
			}
			return nil
		})
		MustOpenAt(t, s.Path()) // and a current file opens again
	})
}
