package commandstest

import (
	"context"
	"slices"
	"sync"

	"github.com/cakegate/cakegate/commands"
)

// Devices is a device directory that lists the same devices in every workspace.
type Devices []commands.Device

// Devices lists d.
func (d Devices) Devices(context.Context, string) ([]commands.Device, error) { return d, nil }

// Groups maps a Slack user group id to its members.
type Groups map[string][]string

// IsMember reports whether user is in group.
func (g Groups) IsMember(_ context.Context, group, user string) (bool, error) {
	return slices.Contains(g[group], user), nil
}

// Notifier records the tokens shown to requesters: its Show method is the commands.ShowToken
// the tests pass to Reveal and Reissue. Set Err to make showing fail.
type Notifier struct {
	mu     sync.Mutex
	tokens map[commands.RequestID][]commands.Token
	Err    error
}

// Show records t as shown for r, or fails with n.Err.
func (n *Notifier) Show(_ context.Context, r *commands.Request, t commands.Token) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Err != nil {
		return n.Err
	}
	if n.tokens == nil {
		n.tokens = map[commands.RequestID][]commands.Token{}
	}
	n.tokens[r.ID] = append(n.tokens[r.ID], t)
	return nil
}

// Token is the last token delivered for request id, if one was.
func (n *Notifier) Token(id commands.RequestID) (commands.Token, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ts := n.tokens[id]
	if len(ts) == 0 {
		return "", false
	}
	return ts[len(ts)-1], true
}

// Tokens is every token delivered for request id, in order.
func (n *Notifier) Tokens(id commands.RequestID) []commands.Token {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.tokens[id])
}
