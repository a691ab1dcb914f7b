package commands_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// memStore is an in-memory commands.Store: one mutex plays the bbolt write transaction.
type memStore struct {
	mu       sync.Mutex
	seq      uint64
	requests map[commands.RequestID]*commands.Request
	audit    []commands.AuditEvent
	outbox   []commands.Notification
}

func newMemStore() *memStore {
	return &memStore{requests: map[commands.RequestID]*commands.Request{}}
}

func (m *memStore) Create(_ context.Context, r *commands.Request, c commands.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	r.ID = commands.RequestID(m.seq)
	m.requests[r.ID] = r.Clone()
	m.write(r.ID, c)
	return nil
}

func (m *memStore) write(id commands.RequestID, c commands.Change) {
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

func (m *memStore) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // as state.Store does
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

func (m *memStore) Get(_ context.Context, id commands.RequestID) (*commands.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.requests[id]
	if !ok {
		return nil, commands.Errorf(commands.CodeNotFound, "no %s", id)
	}
	return r.Clone(), nil
}

func (m *memStore) find(keep func(*commands.Request) bool) []*commands.Request {
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

func (m *memStore) InState(_ context.Context, s commands.State) ([]*commands.Request, error) {
	return m.find(func(r *commands.Request) bool { return r.State == s }), nil
}

func (m *memStore) ExpiringBefore(_ context.Context, t time.Time) ([]*commands.Request, error) {
	out := m.find(func(r *commands.Request) bool {
		return (r.State == commands.StateActive || r.State == commands.StateRevoking || r.State == commands.StateProvisioning) && r.Grant != nil && !r.Grant.ExpiresAt.After(t)
	})
	slices.SortStableFunc(out, func(a, b *commands.Request) int { return a.Grant.ExpiresAt.Compare(b.Grant.ExpiresAt) })
	return out, nil
}

func (m *memStore) ByUser(_ context.Context, user string, limit int) ([]*commands.Request, error) {
	out := m.find(func(r *commands.Request) bool { return r.Requester == user })
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) auditActions(id commands.RequestID) []string {
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

func (m *memStore) notifications(id commands.RequestID) []commands.Notification {
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

// fakeDatacake holds API users in memory and counts creates.
type fakeDatacake struct {
	mu        sync.Mutex
	next      int
	users     map[string]commands.APIUserSpec
	createdAt map[string]time.Time // set by addUser; others are zero, as if Datacake did not say
	created   atomic.Int64
	createErr error
	deleteErr error
	// missingErr, if set, is the answer to a delete of an unknown API user instead of
	// ErrNotFound: how an error form cakegate does not recognise looks.
	missingErr error
	// created is signalled (if set) after each create, for concurrency tests.
	onCreate func()
}

func newFakeDatacake() *fakeDatacake {
	return &fakeDatacake{users: map[string]commands.APIUserSpec{}, createdAt: map[string]time.Time{}}
}

// addUser adds an API user as someone (or another cakegate) made it at created.
func (f *fakeDatacake) addUser(name string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("api-user-%d", f.next)
	f.users[id] = commands.APIUserSpec{Workspace: "ws-1", Name: name}
	f.createdAt[id] = created
	return id
}

func (f *fakeDatacake) CreateAPIUser(_ context.Context, spec commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	if f.onCreate != nil {
		f.onCreate()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.createErr != nil {
		return commands.APIUser{}, "", f.createErr
	}
	f.next++
	id := fmt.Sprintf("api-user-%d", f.next)
	f.users[id] = spec
	f.created.Add(1)
	return commands.APIUser{ID: id, Name: spec.Name}, commands.Token("secret-token-" + id), nil
}

func (f *fakeDatacake) DeleteAPIUser(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleteErr != nil {
		return f.deleteErr
	}
	if _, ok := f.users[id]; !ok {
		if f.missingErr != nil {
			return f.missingErr
		}
		return commands.Errorf(commands.CodeNotFound, "no API user %s", id)
	}
	delete(f.users, id)
	return nil
}

func (f *fakeDatacake) FindAPIUsers(_ context.Context, _, prefix string) ([]commands.APIUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []commands.APIUser
	for id, spec := range f.users {
		if strings.HasPrefix(spec.Name, prefix) {
			out = append(out, commands.APIUser{ID: id, Name: spec.Name, Created: f.createdAt[id]})
		}
	}
	return out, nil
}

func (f *fakeDatacake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users)
}

func (f *fakeDatacake) spec(id string) (commands.APIUserSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.users[id]
	return s, ok
}

type fakeDevices []commands.Device

func (f fakeDevices) Devices(context.Context, string) ([]commands.Device, error) { return f, nil }

// fakeNotifier records delivered tokens.
type fakeNotifier struct {
	mu     sync.Mutex
	tokens map[commands.RequestID]commands.Token
	err    error
}

func (n *fakeNotifier) DeliverToken(_ context.Context, r *commands.Request, t commands.Token) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	if n.tokens == nil {
		n.tokens = map[commands.RequestID]commands.Token{}
	}
	n.tokens[r.ID] = t
	return nil
}

func (n *fakeNotifier) token(id commands.RequestID) (commands.Token, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.tokens[id]
	return t, ok
}

type fakeGroups map[string][]string

func (g fakeGroups) IsMember(_ context.Context, group, user string) (bool, error) {
	return slices.Contains(g[group], user), nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Users and groups of the test policy.
const (
	ann   = "UANN"   // approver
	bob   = "UBOB"   // approver
	carol = "UCAROL" // requester
	dave  = "UDAVE"  // requester, in the ops group
	eve   = "UEVE"   // not a requester
)

func testPolicy() *commands.Policy {
	return &commands.Policy{
		Workspace:        "ws-1",
		ApprovalsChannel: "CAPPROVALS",
		Approvers:        []string{ann, bob},
		Requesters:       []string{carol, dave, ann, bob, "SREQ"},
		Location:         time.UTC,
		Reminders:        []time.Duration{24 * time.Hour, time.Hour},
		PendingTimeout:   48 * time.Hour,
		RoleOrder:        []string{"viewer", "device-editor", "field", "auto", "ops-only"},
		Roles: map[string]*commands.Role{
			"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true},
				MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1},
			"device-editor": {Name: "device-editor", WorkspacePermissions: []string{"devices"},
				DevicePermissions: []string{"edit_basics", "record_measurements"}, Devices: commands.DeviceScope{Any: true},
				MaxDuration: 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 2, Approvers: []string{ann, bob, "SOPS"}},
			"field": {Name: "field", Devices: commands.DeviceScope{Tags: []string{"field-test"}},
				MaxDuration: 24 * time.Hour, DefaultDuration: time.Hour, Approvals: 1},
			"auto": {Name: "auto", Devices: commands.DeviceScope{Any: true}, MaxDuration: 48 * time.Hour,
				DefaultDuration: time.Hour, Approvals: 1, AutoApprove: true},
			"ops-only": {Name: "ops-only", Devices: commands.DeviceScope{Any: true}, MaxDuration: time.Hour,
				DefaultDuration: time.Hour, Approvals: 1, Requesters: []string{"SOPS"}},
		},
		Orphans:      commands.OrphansDelete,
		OrphansBrake: commands.DefaultOrphansBrake,
	}
}

var testDevices = fakeDevices{
	{ID: "dev-1", Name: "Boiler", Serial: "SN1", Tags: []string{"field-test"}},
	{ID: "dev-2", Name: "Freezer", Serial: "SN2", Tags: []string{"lab"}},
	{ID: "dev-3", Name: "Door", Serial: "SN3", Tags: []string{"field-test", "lab"}},
}

// env is a Service over fakes.
type env struct {
	svc      *commands.Service
	store    *memStore
	datacake *fakeDatacake
	notifier *fakeNotifier
	clock    *fakeClock
}

var start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// testInstallation is the installation id of the test database.
const testInstallation = "k3f9q2"

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{
		store:    newMemStore(),
		datacake: newFakeDatacake(),
		notifier: &fakeNotifier{},
		clock:    &fakeClock{now: start},
	}
	e.svc = &commands.Service{
		Policy:   testPolicy(),
		Store:    e.store,
		Datacake: e.datacake,
		Devices:  testDevices,
		Notifier: e.notifier,
		Groups:   fakeGroups{"SOPS": {dave}, "SREQ": {eve + "-in-group"}},
		Clock:    e.clock,

		Installation: testInstallation,
		InstalledAt:  start,
	}
	return e
}

// request makes a request that must succeed.
func (e *env) request(t testing.TB, in commands.RequestInput) *commands.Request {
	t.Helper()
	if in.Reason == "" {
		in.Reason = "testing"
	}
	r, err := e.svc.Request(context.Background(), in)
	if err != nil {
		t.Fatalf("Request(%+v): %v", in, err)
	}
	return r
}

// active makes a viewer request by carol and has ann approve it.
func (e *env) active(t testing.TB) *commands.Request {
	t.Helper()
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	r, err := e.svc.Approve(context.Background(), r.ID, ann)
	if err != nil || r.State != commands.StateActive {
		t.Fatalf("Approve: %v, state %v", err, r)
	}
	return r
}
