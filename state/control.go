package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// The control socket lets `cakegate backup` and `cakegate audit` read the database while the
// bot runs: bbolt lets one process hold the file, so the running bot streams a consistent
// copy (bbolt's Tx.WriteTo) over a Unix socket beside the database. The socket is created
// with mode 0600, so only the user cakegate runs as can use it, as with the file itself.

// ControlPath is the control socket of the database at dbPath.
func ControlPath(dbPath string) string { return dbPath + ".sock" }

// ServeControl answers "backup" requests on the control socket until ctx ends.
func ServeControl(ctx context.Context, path string, store *Store, log interface {
	Warn(string, ...any)
}) (stop func(), err error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		// A socket left by a process that died; the database lock says we are alone now.
		os.Remove(path)
	}
	old := umask0077()
	ln, err := net.Listen("unix", path)
	restoreUmask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Minute))
				line, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
				if err != nil || strings.TrimSpace(line) != "backup" {
					fmt.Fprintf(conn, "error: unknown request\n")
					return
				}
				if _, err := store.Backup(conn); err != nil {
					log.Warn("backup over the control socket failed", "err", err)
				}
			}()
		}
	}()
	return func() { ln.Close(); <-done; os.Remove(path) }, nil
}

// BackupFrom writes a consistent copy of the database at dbPath to w: directly when no
// cakegate holds it, else through the running cakegate's control socket.
func BackupFrom(dbPath string, w io.Writer) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database at %s (CAKEGATE_DB): %w", dbPath, errors.Unwrap(err))
	}
	s, err := Open(dbPath, WithLockTimeout(300*time.Millisecond))
	if err == nil {
		defer s.Close()
		_, err = s.Backup(w)
		return err
	}
	if !errors.Is(err, ErrLocked) {
		return err
	}
	conn, err := net.DialTimeout("unix", ControlPath(dbPath), 5*time.Second)
	if err != nil {
		// %v: the socket's own error (a missing file) must not read as a missing database.
		return fmt.Errorf("%s is in use, and the running cakegate's control socket %s does not answer (%v): try again; if it persists, restart cakegate", dbPath, ControlPath(dbPath), err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "backup\n"); err != nil {
		return err
	}
	n, err := io.Copy(w, conn)
	if err != nil {
		return fmt.Errorf("read the backup from the running cakegate: %w", err)
	}
	if n == 0 {
		return errors.New("the running cakegate sent an empty backup; see its log")
	}
	return nil
}

// OpenSnapshot opens a private copy of the database for reading, so read-only commands work
// while the bot runs; opts are Open's (an audit key to verify with). close removes the copy.
func OpenSnapshot(dbPath string, opts ...Option) (s *Store, close func(), err error) {
	dir, err := os.MkdirTemp("", "cakegate-snapshot-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	f, err := os.OpenFile(dir+"/snapshot.db", os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	err = BackupFrom(dbPath, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	s, err = Open(f.Name(), opts...)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return s, func() { s.Close(); cleanup() }, nil
}
