package state

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// AuditKey is the secret of a keyed audit chain: each keyed record's hash is an
// HMAC-SHA256 under it, so someone who can write the database but does not hold the key
// cannot rewrite an event and recompute the chain after it. The key's bytes never leave
// this type: it prints, logs and formats as its ID only.
type AuditKey struct {
	key []byte
	id  string
}

// MinAuditKeyLen is the shortest key NewAuditKey takes: 32 bytes, the size of the
// HMAC-SHA256 output, below which the key and not the hash would be the weak part.
const MinAuditKeyLen = 32

// NewAuditKey makes an audit key of the bytes b as they are (a trailing newline is part
// of the key). It refuses a key shorter than MinAuditKeyLen.
func NewAuditKey(b []byte) (*AuditKey, error) {
	if len(b) < MinAuditKeyLen {
		return nil, fmt.Errorf("the audit key has %d bytes; it needs at least %d", len(b), MinAuditKeyLen)
	}
	k := &AuditKey{key: append([]byte(nil), b...)}
	// The id is a MAC of a fixed text: it names the key in the chain and in messages, so
	// a wrong key is told from a rewritten event, and says nothing that helps forge a MAC.
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte("cakegate audit key id"))
	k.id = hex.EncodeToString(m.Sum(nil)[:8])
	return k, nil
}

// ID names the key: 16 hex digits that every record chained under it carries, and that
// messages show instead of the key.
func (k *AuditKey) ID() string { return k.id }

// String shows the key's ID, never the key.
func (k *AuditKey) String() string { return "audit key " + k.id }

// GoString shows the key's ID, never the key, also for %#v.
func (k *AuditKey) GoString() string { return k.String() }

// LogValue shows the key's ID, never the key, in structured logs.
func (k *AuditKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// linkHash is the hash that links an event to the one before it: the hex SHA-256 of the
// previous hash followed by the event's canonical JSON, or, under a key, the hex
// HMAC-SHA256 of the same bytes.
func linkHash(key *AuditKey, prev string, canon []byte) string {
	if key == nil {
		h := sha256.New()
		h.Write([]byte(prev))
		h.Write(canon)
		return hex.EncodeToString(h.Sum(nil))
	}
	m := hmac.New(sha256.New, key.key)
	m.Write([]byte(prev))
	m.Write(canon)
	return hex.EncodeToString(m.Sum(nil))
}
