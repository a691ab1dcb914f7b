package state

import (
	"encoding/binary"
	"math"
	"time"
)

// sep ends the string part of a composite index key. It is the smallest byte, so that
// "U1"+sep sorts before "U1X"+sep and a prefix scan for one user never strays into another's.
const sep = 0x00

// u64 encodes n big-endian, so that byte order is numeric order.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// readU64 decodes a big-endian number from the first 8 bytes of b.
func readU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// timeKey turns t into an 8-byte big-endian count of Unix nanoseconds. time.UnixNano is
// undefined outside 1678–2262 and negative before 1970, which would break byte ordering, so
// the zero time and anything before 1970 become 0 ("due at once"), and anything after 2262
// becomes the largest key.
func timeKey(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return 0
	}
	if t.After(time.Unix(0, math.MaxInt64)) {
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// timeIDKey is the key of the time-ordered indexes: time first, then the id, so that two
// entries at the same nanosecond stay distinct and come out in id order.
func timeIDKey(t time.Time, id uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, timeKey(t))
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

// stringIDKey is the key of the string-prefixed indexes: s, sep, then the id.
func stringIDKey(s string, id uint64) []byte {
	k := make([]byte, 0, len(s)+1+8)
	k = append(k, s...)
	k = append(k, sep)
	return binary.BigEndian.AppendUint64(k, id)
}

// stringPrefix is the part of stringIDKey common to every key of s.
func stringPrefix(s string) []byte {
	return append([]byte(s), sep)
}

// idOf returns the id at the end of an index key.
func idOf(k []byte) uint64 { return readU64(k[len(k)-8:]) }
