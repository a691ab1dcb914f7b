package commands

import (
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// AccessCounts is how many API users of each class the workspace had at the last full list
// (reconcile's, or a review's), for the metrics and the approvers' Home tab.
type AccessCounts struct {
	At                         time.Time
	Grants, Adopted, Unmanaged int
	// OldestUnmanaged is when the oldest unmanaged API user was made; zero if there is
	// none, or Datacake did not say.
	OldestUnmanaged time.Time
}

// accessCounts holds the last AccessCounts.
type accessCounts struct{ p atomic.Pointer[AccessCounts] }

// noteAccessCounts classes the API users listed at listedAt by who holds them (holders, read
// after the list), cheaply (no naming), and keeps the counts.
func (s *Service) noteAccessCounts(users []APIUser, held map[string]*Request, listedAt time.Time) {
	c := AccessCounts{At: listedAt}
	for _, u := range users {
		switch r := held[u.ID]; {
		case r != nil && r.Adopted != nil:
			c.Adopted++
		case r != nil:
			c.Grants++
		default:
			c.Unmanaged++
			if !u.Created.IsZero() && (c.OldestUnmanaged.IsZero() || u.Created.Before(c.OldestUnmanaged)) {
				c.OldestUnmanaged = u.Created
			}
		}
	}
	s.counts.p.Store(&c)
}

// AccessCounts returns the counts of the last full list of API users, if there was one in
// this run.
func (s *Service) AccessCounts() (AccessCounts, bool) {
	c := s.counts.p.Load()
	if c == nil {
		return AccessCounts{}, false
	}
	return *c, true
}

// NextReview is when the policy's review schedule next starts a review after t; zero when
// reviews run only on demand.
func (s *Service) NextReview(t time.Time) time.Time {
	if s.Policy.Review.Schedule == "" {
		return time.Time{}
	}
	sched, err := cron.ParseStandard(s.Policy.Review.Schedule)
	if err != nil {
		return time.Time{}
	}
	return sched.Next(t.In(s.Policy.Location))
}
