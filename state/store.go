package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is cakegate's database: one bbolt file. It is safe for concurrent use; bbolt runs
// one writer at a time and readers beside it.
type Store struct {
	db   *bbolt.DB
	path string
	// writes merges concurrent writes into one commit (see groupCommit).
	writes *groupCommit
	// writeFault, when set, is asked before every write transaction (WithWriteFault).
	writeFault func(op string) error
	// requests keeps decoded requests by their bytes (see requestCache).
	requests requestCache
	// auditKey chains and checks the audit log (WithAuditKey); nil: unkeyed.
	auditKey *AuditKey
	// memoSwept is the clock's reading, Unix nanoseconds, at the last sweep of the memos
	// (memos.go).
	memoSwept atomic.Int64
}

// fileMode is the mode of the database file: it names every requester and approver and
// says which devices they could reach, so only cakegate's own user may read it.
const fileMode fs.FileMode = 0o600

// DefaultLockTimeout is how long Open waits for another process to let go of the file. A
// second cakegate on the same file is a mistake to report at once, not a reason to hang:
// long enough only for a process that is exiting to let go.
const DefaultLockTimeout = 500 * time.Millisecond

// ErrLocked is matched by the error Open returns when another process holds the file.
var ErrLocked = errors.New("database is locked")

// Option changes how Open opens the file.
type Option func(*options)

type options struct {
	lockTimeout time.Duration
	noSync      bool // only for benchmarks
	writeFault  func(op string) error
	// newInstallation makes a new database's installation id and created_at
	// (WithNewInstallation); nil: a random id and the wall clock.
	newInstallation func() (id string, created time.Time)
	auditKey        *AuditKey
}

// WithLockTimeout sets how long Open waits for the file lock before giving up; the default
// is DefaultLockTimeout. Tests use a short one.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// WithoutSync turns off fsync at commit, so benchmarks can show the store's cost without
// the disk's. Never in production: a crash or power loss can lose committed transactions.
func WithoutSync() Option {
	return func(o *options) { o.noSync = true }
}

// WithWriteFault makes every write transaction ask fault first, with the name of the write
// ("create", "update", "record", "key_audit", "complete_notification",
// "retry_notification"); an error fails the write before anything is written, as a full or
// read-only disk fails a commit.
// The simulation uses it for disk-full faults and to freeze the file at a crash point.
func WithWriteFault(fault func(op string) error) Option {
	return func(o *options) { o.writeFault = fault }
}

// WithNewInstallation has a database created now take its installation id and created_at
// from fn instead of a random id and the wall clock. The simulation passes a seeded id and
// its virtual time, so one seed is one history; an existing database keeps its own.
func WithNewInstallation(fn func() (id string, created time.Time)) Option {
	return func(o *options) { o.newInstallation = fn }
}

// Open opens the database at path, creating it with mode 0600 if it does not exist, and
// brings its schema up to date. It fails with an error matching ErrLocked if another
// process (or another Open in this one) holds the file, and with one matching
// ErrNewerSchema if a newer cakegate wrote it.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.lockTimeout <= 0 {
		// bbolt waits forever on a zero timeout, which is exactly the hang Open promises
		// not to have.
		o.lockTimeout = DefaultLockTimeout
	}
	if err := tightenMode(path); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{Timeout: o.lockTimeout, NoSync: o.noSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("database %s is in use by another cakegate process%s: "+
			"stop it first, or point CAKEGATE_DB at another file (two processes on one database would lose each other's writes): %w",
			path, describeHolder(path), ErrLocked)
	}
	if notABoltFile(err) {
		return nil, fmt.Errorf("database %s is not a database file, or a damaged one (%v): check that CAKEGATE_DB names cakegate's database, "+
			"not the policy or another file; if it does, restore the last backup (cakegate backup makes them): %w", path, err, ErrNotCakegate)
	}
	if err != nil {
		return nil, fmt.Errorf("open db %s: %w", path, err)
	}
	if err := openSchema(db, path, &o); err != nil {
		db.Close()
		return nil, err
	}
	writeHolder(path)
	return &Store{db: db, path: path, writes: &groupCommit{db: db}, writeFault: o.writeFault, auditKey: o.auditKey}, nil
}

// notABoltFile reports whether bbolt refused the file for what is in it: another kind of
// file altogether (a policy, a tar archive), or a damaged one.
func notABoltFile(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrChecksum) ||
		// bbolt's own words for a file shorter than its two meta pages; it has no error value.
		(err != nil && strings.HasPrefix(err.Error(), "file size too small"))
}

// tightenMode makes an existing database file private to its owner. It tightens rather
// than refuses: a file restored with cp under a permissive umask is the usual cause, the
// fix is the same either way, and the owner is the only one who could make it.
func tightenMode(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // bbolt creates it with fileMode; the umask can only narrow that.
	}
	if err != nil {
		return fmt.Errorf("stat db %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, fileMode); err != nil {
		return fmt.Errorf("db %s is readable by others (mode %v) and could not be made private: %w",
			path, fi.Mode().Perm(), err)
	}
	return nil
}

// update runs fn in a read-write transaction, unless the write fault (if any) refuses op.
// The transaction may be shared with other writes, and fn may run more than once: see
// groupCommit for what fn may do. A write still queued when ctx ends returns ctx's error
// unwritten.
func (s *Store) update(ctx context.Context, op string, fn func(tx *bbolt.Tx) error) error {
	if s.writeFault != nil {
		if err := s.writeFault(op); err != nil {
			return fmt.Errorf("write %s: %w", op, err)
		}
	}
	return s.writes.update(ctx, fn)
}

// Close waits for running transactions and closes the file.
func (s *Store) Close() error {
	removeHolder(s.path)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close db %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Backup writes a consistent copy of the whole database to w while the store keeps running:
// it is one read transaction, so writers are not blocked and the copy is a single point in
// time. It returns the number of bytes written. The copy opens with Open like the original.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup db %s: %w", s.path, err)
	}
	return n, nil
}

// Check reports whether the database can be read: an error once it is closed.
func (s *Store) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(*bbolt.Tx) error { return nil })
}
