package etcdstore

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// The key layout under the store's prefix. Numbers are zero-padded decimals, so etcd's
// byte order is numeric order and a key reads well in etcdctl.
//
//	meta/schema_version               layout version, decimal
//	meta/installation, meta/created_at  the installation id and when it was made (RFC 3339)
//	head                              JSON head: counters, the audit chain's tip and keying
//	requests/<id>                     JSON commands.Request (state.EncodeRequest)
//	by_state/<state>/<id>             ""  (only states a request can leave)
//	by_expiry/<nanos>/<id>            ""  (requests with a grant that must end on time)
//	by_user/<user>\x00<id>            ""  (every request)
//	pending_by_user/<user>\x00<id>    ""  (pending requests only; schema version 2)
//	delivery_keys/<user>\x00<key>     the id of the request that delivery made
//	deactivated/<user>                JSON state.Deactivation
//	audit/<seq>                       JSON state.AuditRecord (state.ChainAudit)
//	audit_by_request/<id>/<seq>       ""
//	outbox/<id>                       JSON commands.Notification (state.EncodeNotification)
//	outbox_due/<nanos>/<id>           ""
//	outbox_claims/<id>                the replica delivering it, under that replica's lease
//	live_fingerprints/<fp>/<id>       ""  (a live token's SHA-256, commands.LiveFingerprint; schema version 3)
//	memos/<key>                       until, nanos: a delivery taken, an API user reported (commands.Memos),
//	                                  under a lease that ends soon after until
const (
	keySchemaVersion = "meta/schema_version"
	keyInstallation  = "meta/installation"
	keyCreatedAt     = "meta/created_at"
	keyHead          = "head"

	dirRequests       = "requests/"
	dirByState        = "by_state/"
	dirByExpiry       = "by_expiry/"
	dirByUser         = "by_user/"
	dirPendingByUser  = "pending_by_user/"
	dirDeliveryKeys   = "delivery_keys/"
	dirDeactivated    = "deactivated/"
	dirAudit          = "audit/"
	dirAuditByRequest = "audit_by_request/"
	dirOutbox         = "outbox/"
	dirOutboxDue      = "outbox_due/"
	dirOutboxClaims   = "outbox_claims/"
	dirFingerprints   = "live_fingerprints/"
	dirMemos          = "memos/"
)

// schemaVersion is the key layout this code reads and writes. Version 2 added
// pending_by_user (filled by migratePendingByUser), delivery_keys and deactivated; version
// 3 live_fingerprints (filled by migrateFingerprints) and memos.
const schemaVersion = 3

// userSep ends the user part of a by_user key. It is the smallest byte, so "U1"+sep sorts
// before "U1X"+sep and one user's range never strays into another's; a requester with a
// NUL byte is refused, as the bbolt store refuses it.
const userSep = "\x00"

// num is n as a key part: 20 digits, the width of the largest uint64.
func num(n uint64) string { return fmt.Sprintf("%020d", n) }

// parseNum reads a key part written by num.
func parseNum(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

// timeNum turns t into a key part that sorts in time order: Unix nanoseconds, with the zero
// time and anything before 1970 as 0 ("due at once") and anything after 2262 as the largest,
// the same bounds as the bbolt store's keys.
func timeNum(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return 0
	}
	if t.After(time.Unix(0, math.MaxInt64)) {
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// keys builds the store's keys under one prefix.
type keys struct{ prefix string }

func (k keys) of(rel string) string { return k.prefix + rel }

func (k keys) request(id commands.RequestID) string {
	return k.prefix + dirRequests + num(uint64(id))
}

func (k keys) byState(s commands.State, id commands.RequestID) string {
	return k.prefix + dirByState + string(s) + "/" + num(uint64(id))
}

func (k keys) byStatePrefix(s commands.State) string {
	return k.prefix + dirByState + string(s) + "/"
}

func (k keys) byExpiry(t time.Time, id commands.RequestID) string {
	return k.prefix + dirByExpiry + num(timeNum(t)) + "/" + num(uint64(id))
}

func (k keys) byUser(user string, id commands.RequestID) string {
	return k.prefix + dirByUser + user + userSep + num(uint64(id))
}

func (k keys) pendingByUser(user string, id commands.RequestID) string {
	return k.pendingOf(user) + num(uint64(id))
}

// pendingOf is the prefix of user's pending_by_user keys.
func (k keys) pendingOf(user string) string { return k.prefix + dirPendingByUser + user + userSep }

func (k keys) deliveryKey(user, key string) string {
	return k.prefix + dirDeliveryKeys + user + userSep + key
}

func (k keys) deactivated(user string) string { return k.prefix + dirDeactivated + user }

func (k keys) audit(seq uint64) string { return k.prefix + dirAudit + num(seq) }

func (k keys) auditByRequest(id commands.RequestID, seq uint64) string {
	return k.prefix + dirAuditByRequest + num(uint64(id)) + "/" + num(seq)
}

func (k keys) outbox(id uint64) string { return k.prefix + dirOutbox + num(id) }

func (k keys) outboxDue(t time.Time, id uint64) string {
	return k.prefix + dirOutboxDue + num(timeNum(t)) + "/" + num(id)
}

func (k keys) outboxClaim(id uint64) string { return k.prefix + dirOutboxClaims + num(id) }

func (k keys) fingerprint(fp string, id commands.RequestID) string {
	return k.fingerprintOf(fp) + num(uint64(id))
}

// fingerprintOf is the prefix of fp's live_fingerprints key.
func (k keys) fingerprintOf(fp string) string { return k.prefix + dirFingerprints + fp + "/" }

func (k keys) memo(key string) string { return k.prefix + dirMemos + key }

// lastNum returns the number after the last "/" or NUL of an index key: the id it points at.
func lastNum(key string) (uint64, error) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' || key[i] == 0 {
			return parseNum(key[i+1:])
		}
	}
	return parseNum(key)
}
