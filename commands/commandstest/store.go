package commandstest

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// Store is an in-memory commands.Store, Journal and AuditReader, and an outbox the bot can
// deliver from: one mutex plays the database's write transaction.
type Store struct {
	mu       sync.Mutex
	seq      uint64
	requests map[commands.RequestID]*commands.Request
	audit    []commands.AuditEvent
	// outbox keeps every notification ever queued, delivered or not, so tests can read what
	// was said; completed marks those the bot delivered or gave up on.
	outbox    []commands.Notification
	completed map[uint64]bool
	// left holds who is recorded as deactivated, and since when.
	left map[string]time.Time
}

// NewStore is an empty store.
func NewStore() *Store {
	return &Store{requests: map[commands.RequestID]*commands.Request{}, completed: map[uint64]bool{}, left: map[string]time.Time{}}
}

// Create stores r under the next id, with c, unless rules, the same delivery or a recorded
// deactivation refuse it, as the real stores do, under the one lock.
func (m *Store) Create(_ context.Context, r *commands.Request, c commands.Change, rules commands.CreateRules) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, gone := m.left[r.Requester]; gone {
		return commands.ErrDeactivated
	}
	pending := 0
	for _, o := range m.requests {
		if o.Requester != r.Requester {
			continue
		}
		if r.Key != "" && o.Key == r.Key {
			return &commands.SameDeliveryError{ID: o.ID}
		}
		if o.State == commands.StatePending {
			pending++
		}
	}
	if rules.MaxPending > 0 && pending >= rules.MaxPending {
		return &commands.PendingCapError{Pending: pending}
	}
	m.seq++
	r.ID = commands.RequestID(m.seq)
	m.requests[r.ID] = r.Clone()
	m.write(r.ID, c)
	return nil
}

func (m *Store) write(id commands.RequestID, c commands.Change) {
	for _, e := range c.Audit {
		if e.Request == 0 {
			e.Request = id
		}
		e.Seq = uint64(len(m.audit) + 1)
		m.audit = append(m.audit, e)
	}
	for _, n := range c.Outbox {
		if n.Request == 0 {
			n.Request = id
		}
		n.ID = uint64(len(m.outbox) + 1)
		m.outbox = append(m.outbox, n)
	}
}

// Update applies fn to a copy of request id and keeps it only if fn succeeds. Like the
// real store, it refuses to start once ctx has ended.
func (m *Store) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.requests[id]
	if !ok {
		return nil, commands.Errorf(commands.CodeNotFound, "no %s", id)
	}
	r := cur.Clone()
	c, err := fn(r)
	if err != nil {
		return nil, err
	}
	m.requests[id] = r.Clone()
	m.write(id, c)
	return r, nil
}

// RecordDeactivation records that user was deactivated at, with c, unless recorded already.
func (m *Store) RecordDeactivation(_ context.Context, user string, at time.Time, c commands.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.left[user]; ok {
		return nil
	}
	m.left[user] = at
	m.write(0, c)
	return nil
}

// ClearDeactivation forgets user's deactivation, with c, if one is recorded.
func (m *Store) ClearDeactivation(_ context.Context, user string, c commands.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.left[user]; !ok {
		return nil
	}
	delete(m.left, user)
	m.write(0, c)
	return nil
}

// DeactivatedAt says whether, and since when, user is recorded as deactivated.
func (m *Store) DeactivatedAt(_ context.Context, user string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at, ok := m.left[user]
	return at, ok, nil
}

// Get returns a copy of request id.
func (m *Store) Get(_ context.Context, id commands.RequestID) (*commands.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.requests[id]
	if !ok {
		return nil, commands.Errorf(commands.CodeNotFound, "no %s", id)
	}
	return r.Clone(), nil
}

func (m *Store) find(keep func(*commands.Request) bool) []*commands.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*commands.Request
	for _, r := range m.requests {
		if keep(r) {
			out = append(out, r.Clone())
		}
	}
	slices.SortFunc(out, func(a, b *commands.Request) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// InState returns the requests in state s, oldest first.
func (m *Store) InState(_ context.Context, s commands.State) ([]*commands.Request, error) {
	return m.find(func(r *commands.Request) bool { return r.State == s }), nil
}

// ExpiringBefore returns the grants that end by t (active, revoking, or provisioning with a
// grant recorded), soonest first.
func (m *Store) ExpiringBefore(_ context.Context, t time.Time) ([]*commands.Request, error) {
	out := m.find(func(r *commands.Request) bool {
		return (r.State == commands.StateActive || r.State == commands.StateRevoking || r.State == commands.StateProvisioning) && r.Grant != nil && !r.Grant.ExpiresAt.After(t)
	})
	slices.SortStableFunc(out, func(a, b *commands.Request) int { return a.Grant.ExpiresAt.Compare(b.Grant.ExpiresAt) })
	return out, nil
}

// ByUser returns user's requests, newest first, at most limit (0: all).
func (m *Store) ByUser(_ context.Context, user string, limit int) ([]*commands.Request, error) {
	out := m.find(func(r *commands.Request) bool { return r.Requester == user })
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Record keeps events and notifications that belong to no request.
func (m *Store) Record(_ context.Context, c commands.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.write(0, c)
	return nil
}

// RecentAudit returns the newest n audit events, newest first.
func (m *Store) RecentAudit(_ context.Context, n int) ([]commands.AuditEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []commands.AuditEvent
	for i := len(m.audit) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, m.audit[i])
	}
	return out, nil
}

// AuditActions returns the actions of request id's audit events, in order.
func (m *Store) AuditActions(id commands.RequestID) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.audit {
		if e.Request == id {
			out = append(out, e.Action)
		}
	}
	return out
}

// Notifications returns what was queued in the outbox about request id, in order.
func (m *Store) Notifications(id commands.RequestID) []commands.Notification {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []commands.Notification
	for _, n := range m.outbox {
		if n.Request == id {
			out = append(out, n)
		}
	}
	return out
}

// Count is how many requests are stored.
func (m *Store) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.requests)
}

// DueNotifications returns the undelivered notifications due by now, soonest first, at most
// limit (0: all), as the database's due index orders them.
func (m *Store) DueNotifications(_ context.Context, now time.Time, limit int) ([]commands.Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []commands.Notification
	for _, n := range m.outbox {
		if !m.completed[n.ID] && !n.NextAttemptAt.After(now) {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b commands.Notification) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// CompleteNotification marks notification id delivered (or given up on).
func (m *Store) CompleteNotification(_ context.Context, id uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pending(id); !ok {
		return commands.Errorf(commands.CodeNotFound, "no notification %d", id)
	}
	m.completed[id] = true
	return nil
}

// RetryNotification counts a failed delivery of id and makes it due again at at.
func (m *Store) RetryNotification(_ context.Context, id uint64, at time.Time, lastErr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.pending(id)
	if !ok {
		return commands.Errorf(commands.CodeNotFound, "no notification %d", id)
	}
	m.outbox[i].Attempts++
	m.outbox[i].NextAttemptAt = at
	m.outbox[i].LastError = lastErr
	return nil
}

// Queued returns notification id if it waits for delivery.
func (m *Store) Queued(id uint64) (commands.Notification, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.pending(id)
	if !ok {
		return commands.Notification{}, false
	}
	return m.outbox[i], true
}

// Enqueue queues n as it is, keeping its id: for tests of delivery alone.
func (m *Store) Enqueue(n commands.Notification) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outbox = append(m.outbox, n)
}

// pending finds undelivered notification id in the outbox.
func (m *Store) pending(id uint64) (int, bool) {
	i := slices.IndexFunc(m.outbox, func(n commands.Notification) bool { return n.ID == id })
	return i, i >= 0 && !m.completed[id]
}

// Completed reports whether notification id was completed.
func (m *Store) Completed(id uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.completed[id]
}

// AuditEvents returns request id's audit events, in order.
func (m *Store) AuditEvents(id commands.RequestID) []commands.AuditEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []commands.AuditEvent
	for _, e := range m.audit {
		if e.Request == id {
			out = append(out, e)
		}
	}
	return out
}
