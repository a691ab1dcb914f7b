package commands

import (
	"context"
	"time"
)

// Memos remembers small facts that every replica must share and that outlive a restart,
// each until a time: that a Slack delivery was taken (a replay of it is dropped), that an
// API user was reported to the approvers. The store keeps them (bbolt: a bucket swept by
// time; etcd: keys under leases), so they never grow without bound.
type Memos interface {
	// Remember records key until until, and reports whether it was new: false when key is
	// recorded already and its time has not passed at now. Of replicas remembering one key
	// at once, exactly one is told it is new.
	Remember(ctx context.Context, key string, now, until time.Time) (bool, error)
	// Forget drops key, so that the next Remember of it is new.
	Forget(ctx context.Context, key string) error
}

// OwnMemos is Memos that can drop a key only while it is still the memo one Remember wrote:
// a turn (turns.go) given back after its time ran out and another click took it must not
// free the other's. The stores implement it; a Memos without it is given turns back with
// Forget.
type OwnMemos interface {
	// ForgetOwn drops key if it is recorded until until (as the caller remembered it), and
	// leaves it otherwise.
	ForgetOwn(ctx context.Context, key string, until time.Time) error
}

// reportAgainAfter is how long a report of an API user nobody's grant owns is remembered:
// a restart does not report it again, and one still there a month later is reported anew.
const reportAgainAfter = 30 * 24 * time.Hour

// firstReport reports whether what key names has not been reported yet, and remembers
// that it is now: in this process, and in the store (Service.Memos) so that a restart or
// another replica does not report it again. When the store cannot answer, the report goes
// out: a report twice is better than none.
func (s *Service) firstReport(ctx context.Context, key string) bool {
	now := s.now()
	until := now.Add(reportAgainAfter)
	// This process's memory ends when the store's does: a cakegate that runs for months
	// reports again, as one that restarted does.
	if v, seen := s.reportedOrphans.LoadOrStore(key, until); seen {
		if now.Before(v.(time.Time)) || !s.reportedOrphans.CompareAndSwap(key, v, until) {
			return false // remembered, or another run renewed it just now
		}
	}
	if s.Memos == nil {
		return true
	}
	first, err := s.Memos.Remember(ctx, "reported:"+key, now, until)
	if err != nil {
		s.log().Warn("could not record that an API user was reported; it may be reported again after a restart", "err", err)
		return true
	}
	return first
}
