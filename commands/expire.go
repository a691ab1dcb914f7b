package commands

import (
	"context"
	"errors"
	"fmt"
)

// SweepResult counts what one sweep did, for logs and metrics.
type SweepResult struct {
	Done   int // requests moved on
	Failed int // requests left for the next sweep
}

// ExpireDue ends every grant whose expiry has passed: the API user is deleted and the request
// becomes expired. It also retries revocations that failed before, once their backoff is
// over. It is a sweep over the expiry index, so a missed run loses nothing.
func (s *Service) ExpireDue(ctx context.Context) (SweepResult, error) {
	s.expiring.Lock()
	defer s.expiring.Unlock()
	now := s.now()
	due, err := s.Store.ExpiringBefore(ctx, now)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find expired grants: %w", err)
	}
	revoking, err := s.Store.InState(ctx, StateRevoking)
	if err != nil {
		return SweepResult{}, fmt.Errorf("find revoking grants: %w", err)
	}
	// Revocations by a person that failed are not yet due by expiry; retry them too.
	seen := make(map[RequestID]bool, len(due))
	for _, r := range due {
		seen[r.ID] = true
	}
	for _, r := range revoking {
		if !seen[r.ID] {
			due = append(due, r)
		}
	}

	var res SweepResult
	for _, r := range due {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if r.State == StateRevoking && r.Grant.NextAttemptAt.After(now) {
			continue
		}
		if r.State != StateRevoking {
			// Active, or provisioning with a recorded grant whose activation never got
			// written: its token may be out there, so it ends on time all the same.
			id := r.ID
			r, err = s.Store.Update(ctx, id, func(r *Request) (Change, error) {
				from := r.State
				if r.Grant == nil || r.Grant.ExpiresAt.After(now) {
					return Change{}, errNotDue
				}
				if err := moveTo(r, StateRevoking, "expire"); err != nil {
					return Change{}, err
				}
				r.Grant.Ending = StateExpired
				r.Extension = nil
				r.UpdatedAt = now
				return Change{Audit: []AuditEvent{s.event(r, Actor, "expire", from, "")}}, nil
			})
			if err != nil {
				if !errors.Is(err, errNotDue) && !errors.Is(err, ErrWrongState) {
					res.Failed++
					s.log().Error("expire", "request", id.String(), "err", err)
				}
				continue
			}
		}
		if _, err := s.finishRevoke(ctx, r); err != nil {
			res.Failed++
			continue
		}
		res.Done++
	}
	return res, nil
}

// errNotDue stops a transition whose request changed (was extended) since it was found.
var errNotDue = errors.New("not due")
