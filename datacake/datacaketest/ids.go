package datacaketest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// newUUID returns a random (version 4) UUID, the form of Datacake's device and user ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newAPIKey returns a random token. Datacake's format is unknown and cakegate must not
// depend on it, so this one is simply 40 hex digits.
func newAPIKey() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
