package commands

import (
	"context"
	"time"
)

// Fingerprints is the store's index of the fingerprints of live tokens (LiveFingerprint),
// written in the same transaction as the grant it belongs to, so a token is in the index
// before the Reveal's window shows it. With several replicas every one follows it, and a
// token revealed on one is known to the others at once.
type Fingerprints interface {
	// LookupFingerprints returns those of fps whose token is live, with their requests:
	// what the store holds now, whatever this process has heard of it.
	LookupFingerprints(ctx context.Context, fps []string) (map[string]RequestID, error)
	// FollowFingerprints calls load with every live fingerprint, then change with each
	// one added (live) or removed, until ctx ends or following fails (it may call load
	// again after a gap it could not follow).
	FollowFingerprints(ctx context.Context, load func(map[string]RequestID), change func(fp string, id RequestID, live bool)) error
}

// LiveFingerprint is the fingerprint of r's token while that token works and a message
// that holds it must revoke it, or "": a grant being made or active. Both stores index
// requests by it.
func LiveFingerprint(r *Request) string {
	if r == nil || r.Grant == nil || (r.State != StateActive && r.State != StateProvisioning) {
		return ""
	}
	return r.Grant.Fingerprint
}

// followRetry is how long FollowLeaks waits before following again after the store
// failed: etcd unreachable for a moment. Messages meanwhile are checked against the store
// itself (lookupLeaks), so nothing is missed while it waits.
const followRetry = time.Second

// FollowLeaks keeps the in-memory fingerprints equal to the store's index, until ctx ends.
// Without an index (Fingerprints nil: one process holds the store) it returns at once:
// WatchLeaks and the reveals of this process keep the memory exact.
func (s *Service) FollowLeaks(ctx context.Context) {
	if s.Fingerprints == nil {
		return
	}
	w := &s.leaks
	load := func(all map[string]RequestID) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.byFP, w.loaded, w.loadedAt = all, true, s.now()
	}
	change := func(fp string, id RequestID, live bool) {
		if live {
			w.add(fp, id)
		} else {
			w.remove(fp)
		}
	}
	for ctx.Err() == nil {
		err := s.Fingerprints.FollowFingerprints(ctx, load, change)
		if ctx.Err() != nil {
			return
		}
		s.log().Warn("follow the fingerprints of live tokens; messages are checked against the store meanwhile", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(followRetry):
		}
	}
}

// lookupLeaks asks the store's index about the candidates of text that matched nothing in
// memory: the index may hold a token revealed on another replica that this one has not
// heard of yet (its watch lags). A message whose candidates match nothing costs one store
// read.
func (s *Service) lookupLeaks(ctx context.Context, unmatched []string) []LeakMatch {
	found, err := s.Fingerprints.LookupFingerprints(ctx, unmatched)
	if err != nil {
		s.log().Error("look up the fingerprints of live tokens", "err", err)
		return nil
	}
	var out []LeakMatch
	for _, fp := range unmatched {
		if id, ok := found[fp]; ok {
			s.leaks.add(fp, id)
			out = append(out, LeakMatch{Request: id, Fingerprint: fp})
		}
	}
	return out
}
