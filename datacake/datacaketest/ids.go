package datacaketest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// SetRandom makes the fake draw its ids and tokens from r instead of crypto/rand, so a
// seeded simulation makes the same ids in every run of one seed. r is read with the
// fake's lock held; it need not be safe for concurrent use.
func (s *Server) SetRandom(r io.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.random = r
}

// SetClock makes the fake date what it creates (API users' creation times) by now
// instead of the wall clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// read fills b from the fake's source of randomness. It is called with s.mu held.
func (s *Server) read(b []byte) {
	if s.random == nil {
		rand.Read(b)
		return
	}
	if _, err := io.ReadFull(s.random, b); err != nil {
		panic("datacaketest: the random source failed: " + err.Error())
	}
}

// newUUID returns a random (version 4) UUID, the form of Datacake's device and user ids.
// It is called with s.mu held.
func (s *Server) newUUID() string {
	var b [16]byte
	s.read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newAPIKey returns a random token. Datacake's format is unknown and cakegate must not
// depend on it, so this one is simply 40 hex digits. It is called with s.mu held.
func (s *Server) newAPIKey() string {
	var b [20]byte
	s.read(b[:])
	return hex.EncodeToString(b[:])
}
