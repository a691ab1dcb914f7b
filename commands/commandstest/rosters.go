package commandstest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// Rosters is a fake of Slack's user group lists for the on-call rule: Set changes a group's
// members, Fail makes the next reads fail, and each read is answered as of Clock's now
// (less Age, to play a list that was read a while ago).
type Rosters struct {
	Clock interface{ Now() time.Time }

	mu     sync.Mutex
	groups map[string][]string
	fail   error
	age    time.Duration
	reads  int
}

// Set makes members the group's members from now on.
func (r *Rosters) Set(group string, members ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.groups == nil {
		r.groups = map[string][]string{}
	}
	r.groups[group] = slices.Clone(members)
}

// Fail makes every read fail with err until Fail(nil).
func (r *Rosters) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Age makes every read answer with a list read d ago.
func (r *Rosters) Age(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.age = d
}

// Reads counts the reads so far.
func (r *Rosters) Reads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

// Roster implements commands.Rosters.
func (r *Rosters) Roster(_ context.Context, group string) (commands.Roster, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if r.fail != nil {
		return commands.Roster{}, r.fail
	}
	return commands.Roster{Members: slices.Clone(r.groups[group]), ReadAt: r.Clock.Now().Add(-r.age)}, nil
}
