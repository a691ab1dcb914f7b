package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LeakedReason is the note on a grant revoked because its token was seen in a message.
const LeakedReason = "leaked"

// Leak is where a token was seen: a Slack message, by its channel and ts. Nothing else of
// the message is kept.
type Leak struct {
	Channel string
	TS      string
}

// LeakMatch is a live grant whose token a message holds.
type LeakMatch struct {
	Request     RequestID
	Fingerprint string
}

// leakWatch maps the fingerprints of live tokens to their requests, in memory, so that a
// message without a token costs a hash per candidate and nothing else: no store read.
type leakWatch struct {
	mu       sync.RWMutex
	loaded   bool
	loadedAt time.Time
	byFP     map[string]RequestID
	// loading is the load under way, if any. Whoever needs a load while it runs waits for
	// it rather than starting another: a burst of messages costs one store read, not one
	// each.
	loading *leakLoad
}

// leakLoad is one load of the fingerprints, shared by everyone who asked for it.
type leakLoad struct {
	done chan struct{} // closed when the load has ended
	err  error         // set before done is closed
}

// LeakReloadEvery bounds how often a message whose candidates match no known token makes
// FindLeaks load the fingerprints again. With several replicas a token revealed on another
// replica is not in this one's memory; the reload finds it, at a cost of one store read per
// this interval at most, however many messages with token-like text arrive.
const LeakReloadEvery = 5 * time.Second

func (w *leakWatch) add(fp string, id RequestID) {
	if fp == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byFP == nil {
		w.byFP = map[string]RequestID{}
	}
	w.byFP[fp] = id
}

func (w *leakWatch) remove(fp string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.byFP, fp)
}

// WatchLeaks loads the fingerprints of every live grant, so FindLeaks recognises their
// tokens. It runs at start and at each reconcile; grants revealed in between are added as
// they are. A load already under way is waited for rather than repeated.
func (s *Service) WatchLeaks(ctx context.Context) error {
	_, err := s.loadLeaks(ctx, func(bool, time.Time) bool { return true })
	return err
}

// loadLeaks loads the fingerprints when due says so of the last load (whether one
// succeeded, and when it ended). While one load runs, every caller it is due for waits for
// that one. It reports whether a load ran for the caller, and how it ended.
func (s *Service) loadLeaks(ctx context.Context, due func(loaded bool, loadedAt time.Time) bool) (bool, error) {
	w := &s.leaks
	w.mu.Lock()
	if !due(w.loaded, w.loadedAt) {
		w.mu.Unlock()
		return false, nil
	}
	if l := w.loading; l != nil {
		w.mu.Unlock()
		select {
		case <-l.done:
			return true, l.err
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	l := &leakLoad{done: make(chan struct{})}
	w.loading = l
	w.mu.Unlock()
	defer func() {
		// Deferred, so that a load that panics does not leave the others waiting.
		w.mu.Lock()
		w.loading = nil
		w.mu.Unlock()
		close(l.done)
	}()
	l.err = s.readLeaks(ctx)
	return true, l.err
}

// readLeaks reads the fingerprints of every live grant from the store and puts them in
// memory.
func (s *Service) readLeaks(ctx context.Context) error {
	byFP := map[string]RequestID{}
	for _, st := range []State{StateActive, StateProvisioning} {
		rs, err := s.Store.InState(ctx, st)
		if err != nil {
			return fmt.Errorf("find %s grants: %w", st, err)
		}
		for _, r := range rs {
			if fp := LiveFingerprint(r); fp != "" {
				byFP[fp] = r.ID
			}
		}
	}
	s.leaks.mu.Lock()
	defer s.leaks.mu.Unlock()
	for fp, id := range s.leaks.byFP {
		byFP[fp] = id // revealed while loading
	}
	s.leaks.byFP, s.leaks.loaded, s.leaks.loadedAt = byFP, true, s.now()
	return nil
}

// FindLeaks returns the live grants whose token text holds. Each run of MinTokenRun to
// MaxTokenRun token characters is hashed and looked up in memory; text is neither kept
// nor logged.
func (s *Service) FindLeaks(ctx context.Context, text string) []LeakMatch {
	if s.Fingerprints != nil {
		// Memory follows the store's index; whatever it does not know, the index decides.
		out, unmatched := s.matchLeaks(text)
		if len(unmatched) > 0 {
			out = append(out, s.lookupLeaks(ctx, unmatched)...)
		}
		return out
	}
	notLoaded := func(loaded bool, _ time.Time) bool { return !loaded }
	if _, err := s.loadLeaks(ctx, notLoaded); err != nil {
		s.log().Error("load the fingerprints of live tokens", "err", err)
	}
	out, unmatched := s.matchLeaks(text)
	if len(out) > 0 || len(unmatched) == 0 {
		return out
	}
	// Perhaps a token this process did not reveal (another replica did): look again, unless
	// a load ended less than LeakReloadEvery ago (or none ever succeeded: the one above
	// just failed).
	stale := func(loaded bool, loadedAt time.Time) bool {
		return loaded && s.now().Sub(loadedAt) >= LeakReloadEvery
	}
	ran, err := s.loadLeaks(ctx, stale)
	if err != nil {
		s.log().Error("load the fingerprints of live tokens", "err", err)
	}
	if ran && err == nil {
		out, _ = s.matchLeaks(text)
	}
	return out
}

// matchLeaks looks every candidate of text up among the known fingerprints, and returns
// the fingerprints of the candidates that matched none.
func (s *Service) matchLeaks(text string) (out []LeakMatch, unmatched []string) {
	TokenCandidates(text, func(c string) {
		fp := Fingerprint(c)
		s.leaks.mu.RLock()
		id, ok := s.leaks.byFP[fp]
		s.leaks.mu.RUnlock()
		if ok {
			out = append(out, LeakMatch{Request: id, Fingerprint: fp})
		} else {
			unmatched = append(unmatched, fp)
		}
	})
	return out, unmatched
}

// RevokeLeaked revokes at once the grant whose token was seen in a message (reason
// leaked): MarkLeaked, then FinishLeaked.
func (s *Service) RevokeLeaked(ctx context.Context, m LeakMatch, where Leak) (*Request, error) {
	r, err := s.MarkLeaked(ctx, m, where)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errNotDue
	}
	return s.FinishLeaked(ctx, r)
}

// MarkLeaked records that the grant m matched was leaked: it moves to revoking with reason
// leaked, in one store write and no network call, so the transport can do it before it
// acknowledges the message event. From then on the revocation survives a crash: reconcile
// and the expiry sweep finish what is left in revoking. A match whose grant has ended or
// moved to another token since (or was marked already) gives nil and no error.
func (s *Service) MarkLeaked(ctx context.Context, m LeakMatch, where Leak) (*Request, error) {
	r, err := s.Store.Update(ctx, m.Request, func(r *Request) (Change, error) {
		from := r.State
		if r.Grant == nil || r.Grant.Fingerprint != m.Fingerprint || !mayEnd(r) {
			return Change{}, errNotDue
		}
		if err := moveTo(r, StateRevoking, "revoke"); err != nil {
			return Change{}, err
		}
		now := s.now()
		r.Grant.Ending = StateRevoked
		r.DecidedBy, r.DecidedAt, r.DecisionNote, r.UpdatedAt = Actor, now, LeakedReason, now
		r.Extension = nil
		return Change{Audit: []AuditEvent{s.event(r, Actor, LeakedReason, from, fmt.Sprintf("its token was posted in a message in %s (ts %s)", where.Channel, where.TS))}}, nil
	})
	if errors.Is(err, errNotDue) {
		s.leaks.remove(m.Fingerprint)
		return nil, nil
	}
	return r, err
}

// FinishLeaked deletes the API user of a grant MarkLeaked marked, and records it revoked.
func (s *Service) FinishLeaked(ctx context.Context, r *Request) (*Request, error) {
	return s.finishRevoke(ctx, r)
}

// ReportLeak tells the requester and the approvals channel where the token of a grant
// revoked by RevokeLeaked was seen: the conversation and a link to the message.
func (s *Service) ReportLeak(ctx context.Context, id RequestID, where Leak, permalink string) error {
	link := "<#" + where.Channel + ">"
	if where.Channel != "" && where.Channel[0] == 'D' {
		link = "a direct message with cakegate"
	}
	if permalink != "" {
		link += " (<" + permalink + "|the message>)"
	}
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		return Change{Outbox: []Notification{
			s.notify(r, NotifyRequester, fmt.Sprintf(":rotating_light: The token of %s was posted in %s, so cakegate revoked it at once; it no longer works. Please delete that message. Ask again with `/cakegate request` if you still need access.", r.ID, link)),
			s.notify(r, NotifyApprovers, fmt.Sprintf(":rotating_light: The token of %s (role %s, %s) was posted in %s; cakegate revoked it.", r.ID, Escape(r.Role), Mention(r.Requester), link)),
		}}, nil
	})
	return err
}
