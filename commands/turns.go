package commands

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Clicks that act on one API user take turns, and so do the deletions of one review. A
// review's Delete checks that nobody holds the API user and that the review has not deleted
// orphans_brake of them yet, then deletes it in Datacake; an Adopt checks that nobody holds
// it, then writes the record that does. Between the check and the act, a click from another
// review (or another approver on this one) could slip in: a deletion of the API user an
// adoption just gave an owner, or a review deleting past its brake. A turn closes that gap:
// with several replicas it is remembered in the store (Service.Turns), so every replica sees
// it, and it ends by itself should cakegate stop before giving it back.

// turnFor bounds the work done in a turn (a Datacake call and a few writes); the turn
// itself is remembered turnMargin longer, so it never ends while that work still runs, and
// one left by a stop (or a replica that died) ends by itself soon after.
const (
	turnFor    = 30 * time.Second
	turnMargin = 30 * time.Second
)

// turnGiveBack bounds giving a turn back: an Adopt gives it back before its form is
// answered, so this is kept short; one not given back ends by itself.
const turnGiveBack = time.Second

// apiUserTurn and reviewDeletesTurn name the turns: on an API user (deleting or adopting
// it), and on a review's deletions (the brake counts them).
func apiUserTurn(id string) string       { return "turn:api-user:" + id }
func reviewDeletesTurn(id string) string { return "turn:review-deletes:" + id }

// errAPIUserBusy is reconcile's busy(): a click has the API user's turn.
var errAPIUserBusy = errors.New("a click has the API user's turn")

// turn takes key for work that runs under the context it returns, bounded by turnFor, or
// refuses with busy() when another turn holds key; done ends that context and gives the
// turn back.
func (s *Service) turn(ctx context.Context, key string, busy func() error) (context.Context, func(), error) {
	now := s.now()
	until := now.Add(turnFor + turnMargin)
	first, err := s.memos().Remember(ctx, key, now, until)
	if err != nil {
		// The turn may be taken all the same (etcd may commit what it then fails to
		// confirm): dropped if it is, so this click is not refused as busy by itself, when
		// tried again, for as long as the turn lives.
		if own, ok := s.memos().(OwnMemos); ok {
			bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), turnGiveBack)
			own.ForgetOwn(bctx, key, until)
			bcancel()
		}
		return nil, nil, &Error{Code: CodeUnavailable, Message: "cakegate could not make sure nobody else is acting on it at the same moment, so it changed nothing. Please try again in a minute.", Err: err}
	}
	if !first {
		return nil, nil, busy()
	}
	work, cancel := context.WithTimeout(ctx, turnFor)
	return work, func() {
		cancel()
		// On a clock of its own: the click's context may have ended, which is often why the
		// work stopped.
		bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), turnGiveBack)
		defer bcancel()
		if err := s.giveBack(bctx, key, until); err != nil {
			s.log().Warn("could not give a turn back; it ends by itself", "turn", key, "within", turnFor+turnMargin, "err", err)
		}
	}, nil
}

// giveBack drops the turn key remembered until until, and only that one where the store
// can tell: should this turn have ended meanwhile and another click taken key, that turn
// stays.
func (s *Service) giveBack(ctx context.Context, key string, until time.Time) error {
	if own, ok := s.memos().(OwnMemos); ok {
		return own.ForgetOwn(ctx, key, until)
	}
	return s.memos().Forget(ctx, key)
}

// memos is where turns are remembered: the store's (Service.Turns), or this process's
// memory when one process is all there is.
func (s *Service) memos() Memos {
	if s.Turns != nil {
		return s.Turns
	}
	return &s.localMemos
}

// memoryMemos is Memos in this process's memory.
type memoryMemos struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (m *memoryMemos) Remember(_ context.Context, key string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Before(m.until[key]) {
		return false, nil
	}
	if m.until == nil {
		m.until = map[string]time.Time{}
	}
	m.until[key] = until
	return true, nil
}

func (m *memoryMemos) Forget(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.until, key)
	return nil
}

func (m *memoryMemos) ForgetOwn(_ context.Context, key string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.until[key].Equal(until) {
		delete(m.until, key)
	}
	return nil
}
