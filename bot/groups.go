package bot

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cakegate/cakegate/commands"
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

// Roster lists a user group's members as Slack gave them at most commands.MaxRosterAge
// ago, and when: the on-call rule grants on it, so a list older than that is read again.
// It implements commands.Rosters.
func (b *Bot) Roster(ctx context.Context, group string) (commands.Roster, error) {
	members, at, err := b.groupMembersWithin(ctx, group, commands.MaxRosterAge)
	if err != nil {
		return commands.Roster{}, err
	}
	return commands.Roster{Members: slices.Clone(members), ReadAt: at}, nil
}

// groupMembers lists a user group's members, from the cache when it is fresh.
func (b *Bot) groupMembers(ctx context.Context, group string) ([]string, error) {
	members, _, err := b.groupMembersWithin(ctx, group, b.groups.ttl)
	return members, err
}

// groupMembersWithin lists a user group's members from the cache when they were read at
// most maxAge ago, from Slack otherwise; it says when the list was read.
func (b *Bot) groupMembersWithin(ctx context.Context, group string, maxAge time.Duration) ([]string, time.Time, error) {
	now := b.now()
	if members, at, ok := b.groups.get(group, now, maxAge); ok {
		return members, at, nil
	}
	members, err := b.slack.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, time.Time{}, err
	}
	b.groups.put(group, members, now)
	return members, now, nil
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

func (c *groupCache) get(group string, now time.Time, maxAge time.Duration) ([]string, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[group]
	if !ok || now.Sub(e.at) > min(maxAge, c.ttl) || now.Before(e.at) {
		return nil, time.Time{}, false
	}
	return e.members, e.at, true
}

func (c *groupCache) put(group string, members []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]groupEntry{}
	}
	c.entries[group] = groupEntry{members: members, at: now}
}
