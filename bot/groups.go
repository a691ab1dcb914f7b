package bot

import (
	"context"
	"slices"
	"sync"
	"time"
)

// IsMember reports whether user belongs to a Slack user group. It implements
// commands.Groups. Members are cached briefly: approvals ask often, groups change rarely.
func (b *Bot) IsMember(ctx context.Context, group, user string) (bool, error) {
	members, err := b.groupMembers(ctx, group)
	if err != nil {
		return false, err
	}
	return slices.Contains(members, user), nil
}

// groupMembers lists a user group's members, from the cache when it is fresh.
func (b *Bot) groupMembers(ctx context.Context, group string) ([]string, error) {
	now := b.now()
	if members, ok := b.groups.get(group, now); ok {
		return members, nil
	}
	members, err := b.slack.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, err
	}
	b.groups.put(group, members, now)
	return members, nil
}

type groupCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]groupEntry
}

type groupEntry struct {
	members []string
	at      time.Time
}

func (c *groupCache) get(group string, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[group]
	if !ok || now.Sub(e.at) > c.ttl || now.Before(e.at) {
		return nil, false
	}
	return e.members, true
}

func (c *groupCache) put(group string, members []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]groupEntry{}
	}
	c.entries[group] = groupEntry{members: members, at: now}
}
