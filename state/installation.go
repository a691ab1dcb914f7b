package state

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Keys of the meta bucket that say which installation a database belongs to.
var (
	keyInstallation = []byte("installation") // a short random id, see Installation
	keyCreatedAt    = []byte("created_at")   // RFC 3339, when the id was made
)

// installationAlphabet makes ids that are lowercase, unambiguous and safe in an API user's
// name (Datacake shows names in its portal).
const installationAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// installationLength gives 31^6 ≈ 887 million ids: two installations sharing a workspace
// will not collide.
const installationLength = 6

// addInstallation (schema version 2) gives the database its installation id. A new
// database gets it when it is created; an older one when it is first opened by this
// version, with that moment as its created_at.
func addInstallation(tx *bbolt.Tx, o *options) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if meta.Get(keyInstallation) != nil {
		return nil
	}
	id, created := "", time.Now()
	if o != nil && o.newInstallation != nil {
		id, created = o.newInstallation()
	} else {
		var err error
		if id, err = newInstallationID(); err != nil {
			return err
		}
	}
	if err := meta.Put(keyInstallation, []byte(id)); err != nil {
		return fmt.Errorf("write installation id: %w", err)
	}
	if err := meta.Put(keyCreatedAt, []byte(created.UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("write created_at: %w", err)
	}
	return nil
}

func newInstallationID() (string, error) {
	var b [installationLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make installation id: %w", err)
	}
	for i := range b {
		b[i] = installationAlphabet[int(b[i])%len(installationAlphabet)]
	}
	return string(b[:]), nil
}

// Installation identifies this database among every cakegate that may share a Datacake
// workspace: it was made at random when the database was created, and cakegate puts it in
// the name of every API user it creates (cakegate-<installation>-r42-<user>), so that it
// only ever treats its own API users as orphans. created is when it was made.
func (s *Store) Installation() (id string, created time.Time, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || meta.Get(keyInstallation) == nil {
			return fmt.Errorf("database %s has no installation id", s.path)
		}
		id = string(meta.Get(keyInstallation))
		created, _ = time.Parse(time.RFC3339, string(meta.Get(keyCreatedAt)))
		return nil
	})
	return id, created, err
}

// ErrNoDatabase is matched by the error ReadInstallation returns when the file does not exist.
var ErrNoDatabase = errors.New("no database")

// ReadInstallation reads the installation id of the database at path without creating,
// migrating or writing it, for check-config. It fails with an error matching ErrNoDatabase
// if the file does not exist and ErrLocked if a running cakegate holds it.
func ReadInstallation(path string) (id string, created time.Time, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", time.Time{}, fmt.Errorf("database %s: %w", path, ErrNoDatabase)
	}
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return "", time.Time{}, fmt.Errorf("database %s is in use: %w", path, ErrLocked)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("open db %s: %w", path, err)
	}
	defer db.Close()
	s := &Store{db: db, path: path}
	return s.Installation()
}
