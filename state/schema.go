package state

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// The buckets of schema version 1. Keys are described where each bucket is written.
var (
	bucketMeta           = []byte("meta")             // schema_version → decimal; installation, created_at; audit_keying
	bucketRequests       = []byte("requests")         // id → JSON commands.Request
	bucketByExpiry       = []byte("by_expiry")        // expiry nanos, id → ""
	bucketByState        = []byte("by_state")         // state, 0x00, id → ""
	bucketByUser         = []byte("by_user")          // requester, 0x00, id → ""
	bucketAudit          = []byte("audit")            // seq → JSON AuditRecord
	bucketAuditByRequest = []byte("audit_by_request") // request id, seq → ""
	bucketOutbox         = []byte("outbox")           // id → JSON commands.Notification
	bucketOutboxDue      = []byte("outbox_due")       // next attempt nanos, id → "" or urgentMark

	// Added by schema version 4.
	bucketPendingByUser = []byte("pending_by_user") // requester, 0x00, id → "" (pending requests only)
	bucketDeliveryKeys  = []byte("delivery_keys")   // requester, 0x00, delivery key → id
	bucketDeactivated   = []byte("deactivated")     // Slack user id → JSON deactivation

	// Added by schema version 5.
	bucketMemos = []byte("memos") // memo key → until, 8-byte Unix nanos (memos.go)
)

var keySchemaVersion = []byte("schema_version")

// SchemaVersion is the database layout this code reads and writes. Opening a file with a
// newer version fails rather than risk misreading it; an older one is migrated.
const SchemaVersion = 5

// migrations[v] brings a database from schema version v to v+1. A new layout adds one
// function here and bumps SchemaVersion. The array has SchemaVersion entries, so an extra
// function does not compile and a forgotten one is a nil that migrate refuses. All pending
// migrations run in one transaction, so a failed migration leaves the file as it was.
var migrations = [SchemaVersion]func(tx *bbolt.Tx, o *options) error{
	createV1,
	addInstallation,
	markTokenDMs,
	addPerRequesterChecks,
	addMemos,
}

// addPerRequesterChecks creates what Create checks a new request against in its own
// transaction: each requester's pending requests (filled from by_state), the delivery keys
// of the requests made from now on, and who is recorded as deactivated.
func addPerRequesterChecks(tx *bbolt.Tx, _ *options) error {
	for _, name := range [][]byte{bucketPendingByUser, bucketDeliveryKeys, bucketDeactivated} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	prefix := stringPrefix(string(commands.StatePending))
	c := tx.Bucket(bucketByState).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := idOf(k)
		r, err := getRequest(tx, nil, commands.RequestID(id))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketPendingByUser).Put(stringIDKey(r.Requester, id), []byte{}); err != nil {
			return fmt.Errorf("index %s in %s: %w", r.ID, bucketPendingByUser, err)
		}
	}
	return nil
}

// ErrNewerSchema is matched by the error Open returns for a file written by a newer cakegate.
var ErrNewerSchema = errors.New("database has a newer schema")

// ErrNotCakegate is matched by the error Open returns for a bbolt file cakegate did not create.
var ErrNotCakegate = errors.New("not a cakegate database")

// createV1 creates the buckets of the first layout.
func createV1(tx *bbolt.Tx, _ *options) error {
	for _, name := range [][]byte{
		bucketRequests, bucketByExpiry, bucketByState, bucketByUser,
		bucketAudit, bucketAuditByRequest, bucketOutbox, bucketOutboxDue,
	} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// openSchema checks the file's schema and migrates it if it is older than SchemaVersion.
// A current file is only read, so opening the usual database writes nothing.
func openSchema(db *bbolt.DB, path string, o *options) error {
	var current bool
	err := db.View(func(tx *bbolt.Tx) error {
		version, err := checkSchema(tx, path)
		current = version == SchemaVersion
		return err
	})
	if err != nil || current {
		return err
	}
	return db.Update(func(tx *bbolt.Tx) error { return migrate(tx, path, o) })
}

// checkSchema returns the file's schema version, or refuses a file it cannot safely use.
func checkSchema(tx *bbolt.Tx, path string) (int, error) {
	version, err := schemaVersion(tx)
	if err != nil {
		return 0, fmt.Errorf("database %s: %w", path, err)
	}
	if version > SchemaVersion {
		return 0, fmt.Errorf("database %s has schema version %d but this cakegate knows only up to %d: "+
			"run a newer cakegate, or restore a backup made by this version: %w",
			path, version, SchemaVersion, ErrNewerSchema)
	}
	if version == 0 && tx.Bucket(bucketMeta) == nil && hasBuckets(tx) {
		return 0, fmt.Errorf("database %s: %w (it has buckets but no schema version)", path, ErrNotCakegate)
	}
	return version, nil
}

// migrate runs every migration from the file's version up to SchemaVersion, recording each
// step. It runs in one transaction, so a failed migration leaves the file as it was.
func migrate(tx *bbolt.Tx, path string, o *options) error {
	version, err := checkSchema(tx, path)
	if err != nil {
		return err
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket meta: %w", err)
	}
	for v := version; v < SchemaVersion; v++ {
		if migrations[v] == nil {
			return fmt.Errorf("migrate %s to schema version %d: no migration written", path, v+1)
		}
		if err := migrations[v](tx, o); err != nil {
			return fmt.Errorf("migrate %s to schema version %d: %w", path, v+1, err)
		}
		if err := meta.Put(keySchemaVersion, []byte(strconv.Itoa(v+1))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	return nil
}

// schemaVersion reads the stored version; 0 means a new, empty file.
func schemaVersion(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get(keySchemaVersion)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("read schema version %q: not a number", raw)
	}
	return v, nil
}

// hasBuckets reports whether the file holds anything at all.
func hasBuckets(tx *bbolt.Tx) bool {
	c := tx.Cursor()
	k, _ := c.First()
	return k != nil
}
