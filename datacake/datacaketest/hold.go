package datacaketest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// holdGate keeps requests waiting while a test holds the fake. s.mu guards it.
type holdGate struct {
	open    chan struct{} // closed by Release; nil while not holding
	waiting []string      // operation names of the requests held now, oldest first
	changed chan struct{} // closed and replaced whenever waiting changes or a call ends
}

// Hold makes the fake keep every request that arrives from now on waiting, unanswered and
// not yet executed, until Release (or Close, or the client giving up). Tests use it to
// prove that work happens after an acknowledgement, or that shutdown waits for work in
// flight: hold, act, WaitHeld, check, Release. Held requests are recorded by Calls, with
// no operation until they are answered.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold.open == nil {
		s.hold.open = make(chan struct{})
	}
}

// Release lets every held request through and stops holding. It does nothing when the fake
// is not holding.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold.open != nil {
		close(s.hold.open)
		s.hold.open = nil
	}
}

// Held returns the operation names of the requests being held now, in order of arrival
// (e.g. "NewApiUser"; "" for a request that named none).
func (s *Server) Held() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hold.waiting)
}

// WaitHeld waits until a request for operation ("" for any) is being held, and fails when
// ctx ends first.
func (s *Server) WaitHeld(ctx context.Context, operation string) error {
	for {
		s.mu.Lock()
		found := slices.ContainsFunc(s.hold.waiting, func(op string) bool { return operation == "" || op == operation })
		changed := s.hold.changedLocked()
		s.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitAnswered waits until n requests for operation have been answered (or dropped), and
// fails when ctx ends first. Tests use it to let earlier traffic, such as the sweeps a
// service runs at start, finish before they inject a fault.
func (s *Server) WaitAnswered(ctx context.Context, operation string, n int) error {
	for {
		s.mu.Lock()
		answered := 0
		for _, c := range s.calls {
			// A call gets its operation when it ends (see depart).
			if c.Operation == operation {
				answered++
			}
		}
		changed := s.hold.changedLocked()
		s.mu.Unlock()
		if answered >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("datacaketest: %d of %d %s requests answered: %w", answered, n, operation, ctx.Err())
		}
	}
}

// changedLocked returns the channel closed at the next change of waiting.
func (g *holdGate) changedLocked() chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

// notifyLocked wakes WaitHeld.
func (g *holdGate) notifyLocked() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}

// waitHold keeps a request for operation waiting while the fake is held. answered is false
// when the request must not be served: the client gave up (status 0: nobody reads an
// answer) or the fake is closing (status 503).
func (s *Server) waitHold(ctx context.Context, operation string) (status int, answered bool) {
	s.mu.Lock()
	open := s.hold.open
	if open == nil {
		s.mu.Unlock()
		return 0, true
	}
	s.hold.waiting = append(s.hold.waiting, operation)
	s.hold.notifyLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if i := slices.Index(s.hold.waiting, operation); i >= 0 {
			s.hold.waiting = slices.Delete(s.hold.waiting, i, i+1)
		}
		s.hold.notifyLocked()
		s.mu.Unlock()
	}()
	select {
	case <-open:
		return 0, true
	case <-ctx.Done():
		return 0, false
	case <-s.closing:
		return http.StatusServiceUnavailable, false
	}
}
