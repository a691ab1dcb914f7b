package datacaketest

import "time"

// faults are failures a test asked for. s.mu guards them.
type faults struct {
	latency    time.Duration
	failN      int
	failStatus int
	limitN     int
	retryAfter time.Duration
	dropCreate bool
	// missingDelete is how a delete of an unknown API user, or a look-up of an unknown
	// device, is answered.
	missingDelete MissingDelete
}

// MissingDelete is a way Datacake may answer deleteApiUser for an id it does not know.
// Which one the real Datacake gives is not documented, so cakegate's tests run both.
type MissingDelete int

// The answers to a delete of an unknown API user.
const (
	// MissingOKFalse answers {"data":{"deleteApiUser":{"ok":false}}}.
	MissingOKFalse MissingDelete = iota
	// MissingDoesNotExist answers as a Django resolver does:
	// {"errors":[{"message":"User matching query does not exist."}],"data":{"deleteApiUser":null}},
	// with no extensions.code.
	MissingDoesNotExist
)

// String names the answer, for subtest names.
func (m MissingDelete) String() string {
	if m == MissingDoesNotExist {
		return "DoesNotExist"
	}
	return "OKFalse"
}

// AnswerMissingDeletes sets how a delete of an unknown API user is answered from now on,
// and a look-up of one device (WorkspaceType.device) that does not exist: null, or Django's
// "Device matching query does not exist." with MissingDoesNotExist.
func (s *Server) AnswerMissingDeletes(how MissingDelete) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.missingDelete = how
}

// SetLatency delays every answer by d (0 for none), as a slow Datacake would. A client
// giving up early ends the wait.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// FailNext answers the next n requests with HTTP status (e.g. 502) before doing anything.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failN, s.faults.failStatus = n, status
}

// RateLimitNext answers the next n requests with HTTP 429 and, if retryAfter > 0, a
// Retry-After header of retryAfter rounded up to whole seconds. It takes precedence over
// FailNext.
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.limitN, s.faults.retryAfter = n, retryAfter
}

// DropAfterCommitNext makes the next addApiUser create its API user and then close the
// connection without an answer, leaving the client unsure whether it happened.
func (s *Server) DropAfterCommitNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.dropCreate = true
}

// injected returns the failure to answer with instead of serving, if one is due:
// the status and, for a 429, the Retry-After.
func (s *Server) injected() (status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.faults.limitN > 0:
		s.faults.limitN--
		return 429, s.faults.retryAfter
	case s.faults.failN > 0:
		s.faults.failN--
		return s.faults.failStatus, 0
	}
	return 0, 0
}

// latency returns the injected latency.
func (s *Server) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.latency
}
