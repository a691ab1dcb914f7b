package commands

import (
	"context"
	"time"
)

// PolicyKeys are the keys a policy file may use, for the test that docs/policy.md lists them.
var PolicyKeys = map[string][]string{
	"top":      policyTopKeys,
	"role":     policyRoleKeys,
	"devices":  policyDevicesKeys,
	"schedule": policyScheduleKeys,
	"template": policyTemplateKeys,
	"on_call":  policyOnCallKeys,
	"review":   policyReviewKeys,
}

// CreateAdoption is createAdoption, for the test of two adoptions of one API user at once.
func (s *Service) CreateAdoption(ctx context.Context, in AdoptInput, it ReviewItem, u APIUser, now time.Time) (*Request, error) {
	return s.createAdoption(ctx, in, it, u, now)
}

// MemoryMemos is the memory the service keeps turns in when it has no store's (turns.go),
// for the tests' stores that fail or count.
type MemoryMemos = memoryMemos

// TurnLives is how long a turn left behind holds its key (turns.go).
const TurnLives = turnFor + turnMargin
