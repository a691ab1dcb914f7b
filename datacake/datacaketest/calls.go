package datacaketest

import (
	"slices"
	"time"
)

// Call is one request the fake received.
type Call struct {
	Operation string         // the operation's name ("" if the body did not parse)
	Variables map[string]any // as sent, decoded from JSON; do not modify
	Time      time.Time      // when the request arrived
	Status    int            // the HTTP status answered; 0 if the connection was dropped
}

// Calls returns every request received so far, in order of arrival.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount returns how many requests named operation arrived ("" counts all).
func (s *Server) CallCount(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if operation == "" || c.Operation == operation {
			n++
		}
	}
	return n
}

// MaxInFlight returns the most requests the fake was handling at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// arrive records a new call and counts it in flight; it returns the call's index.
func (s *Server) arrive() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.calls = append(s.calls, Call{Time: s.now()})
	return len(s.calls) - 1
}

// depart completes the call at index i.
func (s *Server) depart(i int, operation string, vars map[string]any, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	c := &s.calls[i]
	c.Operation, c.Variables, c.Status = operation, vars, status
	s.hold.notifyLocked()
}
