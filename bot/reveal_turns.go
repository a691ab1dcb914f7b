package bot

import (
	"context"
	"slices"
	"sync"

	"github.com/cakegate/cakegate/commands"
)

// A double click on Reveal token reaches cakegate as two clicks, each with its own trigger
// id, and each opens a window: Slack replaces the earlier by the later on the requester's
// screen, and an update of the replaced one either fails or succeeds unseen. So the clicks
// on one request that this process works on take turns, and whatever a turn has to say,
// the token above all, goes to the newest window, the one on screen, once every window
// being opened is open. A click whose window a later one replaced leaves the telling to
// that later click; one whose window already shows the outcome of an earlier turn leaves
// it there.
//
// Clicks on different replicas do not meet here: the store decides between them (one
// reveals, the other finds the request being revealed), see showIn.

// revealTurns is the clicks on Reveal token or Re-issue being worked on, by request.
type revealTurns struct {
	mu       sync.Mutex
	sessions map[commands.RequestID]*revealSession
}

// revealSession is the clicks on one request being worked on together.
type revealSession struct {
	turn   chan struct{} // holds one value while a click has its turn
	clicks int           // clicks in the session; the last to leave ends it (guarded by revealTurns.mu)

	mu      sync.Mutex
	opening int           // windows being opened
	settled chan struct{} // closed, and replaced, whenever a window opens or fails to
	windows []string      // the windows open, oldest first: the last is on screen
	told    string        // the window that shows the outcome of the last turn, "" if none yet
	shown   string        // the window a token was shown in, "" if none yet
}

// revealClick is one click's part in a session.
type revealClick struct {
	*revealSession
	settled bool // its window is open, or failed to open
}

// opened records the window the click opened, now the newest, or "" if Slack opened none.
func (c *revealClick) opened(view string) {
	if !c.settled {
		c.settled = true
		c.revealSession.opened(view)
	}
}

// join adds a click on request id to its session, starting one if needed, as it is about
// to open its window (or clicked in one): opened follows, and leave once it is done.
func (t *revealTurns) join(id commands.RequestID) *revealClick {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sessions == nil {
		t.sessions = map[commands.RequestID]*revealSession{}
	}
	s := t.sessions[id]
	if s == nil {
		s = &revealSession{turn: make(chan struct{}, 1), settled: make(chan struct{})}
		t.sessions[id] = s
	}
	s.clicks++
	s.mu.Lock()
	s.opening++
	s.mu.Unlock()
	return &revealClick{revealSession: s}
}

// leave ends click c's part in its session of request id. A window it never said was open
// (it panicked while opening) counts as not opened, so other clicks do not wait for it.
func (t *revealTurns) leave(id commands.RequestID, c *revealClick) {
	c.opened("")
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.clicks--; c.clicks == 0 {
		delete(t.sessions, id)
	}
}

// opened records that a window of the session opened (the newest now), or failed to ("").
func (s *revealSession) opened(view string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opening--
	if view != "" {
		s.windows = append(slices.DeleteFunc(s.windows, func(v string) bool { return v == view }), view)
	}
	close(s.settled)
	s.settled = make(chan struct{})
}

// wait waits for the click's turn; false if ctx ended first.
func (s *revealSession) wait(ctx context.Context) bool {
	select {
	case s.turn <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// done ends the click's turn.
func (s *revealSession) done() { <-s.turn }

// newest is the window on the requester's screen once no other is being opened; false if
// ctx ended first. A click asks in its turn, so its own window is open.
func (s *revealSession) newest(ctx context.Context) (string, bool) {
	for {
		s.mu.Lock()
		opening, settled, view := s.opening, s.settled, s.lastLocked()
		s.mu.Unlock()
		if opening == 0 {
			return view, true
		}
		select {
		case <-settled:
		case <-ctx.Done():
			return "", false
		}
	}
}

// state says which window is the newest open now (others may be being opened), which
// shows the outcome of a turn, and which got a token.
func (s *revealSession) state() (newest, told, shown string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastLocked(), s.told, s.shown
}

// lastLocked is the window opened last, "" if none; s.mu is held.
func (s *revealSession) lastLocked() string {
	if len(s.windows) == 0 {
		return ""
	}
	return s.windows[len(s.windows)-1]
}

// tell records that view now shows the outcome of a turn (a token when token is true),
// unless a newer window replaced it meanwhile or is being opened: then it reports false,
// and the outcome is to be shown in the newest.
func (s *revealSession) tell(view string, token bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opening > 0 || s.lastLocked() != view {
		return false
	}
	s.told = view
	if token {
		s.shown = view
	}
	return true
}
