package commands

import (
	"context"
	"log/slog"
	"time"
)

// Clock tells the time. It is injected so expiry and reminders are tested without sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Token is the secret of a Datacake API user. It formats as "[redacted]" so that a stray
// log line or error cannot leak it; Reveal is the one way to the secret, used only to show
// it to its requester.
type Token string

// String hides the token.
func (Token) String() string { return "[redacted]" }

// GoString hides the token from %#v.
func (Token) GoString() string { return `"[redacted]"` }

// LogValue hides the token from log/slog.
func (Token) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Reveal returns the secret itself.
func (t Token) Reveal() string { return string(t) }

// APIUserSpec is what an API user should be: its name, and exactly the permissions and
// devices the request was approved for.
type APIUserSpec struct {
	Workspace            string
	Name                 string
	WorkspacePermissions []string
	DevicePermissions    []string
	DeviceIDs            []string
}

// APIUser is a Datacake API user as cakegate knows it.
type APIUser struct {
	ID      string
	Name    string
	Created time.Time // zero if Datacake did not say
	// Permissions (workspace permissions) and Devices (how many devices it may see) are
	// what FindAPIUsers lists it with; zero for one just created.
	Permissions []string
	Devices     int
}

// Datacake creates and deletes API users. Implementations retry temporary failures
// themselves; an error returned here is final for this attempt.
type Datacake interface {
	// CreateAPIUser creates the API user and returns it with its token.
	CreateAPIUser(ctx context.Context, spec APIUserSpec) (APIUser, Token, error)
	// DeleteAPIUser deletes an API user. Deleting one that no longer exists must return an
	// error matching ErrNotFound, which callers treat as done.
	DeleteAPIUser(ctx context.Context, id string) error
	// FindAPIUsers lists the workspace's API users whose name starts with prefix.
	FindAPIUsers(ctx context.Context, workspace, prefix string) ([]APIUser, error)
}

// DeviceDirectory lists a workspace's devices, for resolving what a request names and
// checking it against the role's scope.
type DeviceDirectory interface {
	Devices(ctx context.Context, workspace string) ([]Device, error)
}

// DeviceFinder is a DeviceDirectory that can ask Datacake for just the devices wanted, so a
// workspace of 100,000 devices is never fetched whole. The Service uses it when its
// DeviceDirectory is one; a directory that only lists is searched in memory (ListFinder).
type DeviceFinder interface {
	// FindDevices returns the devices that refs name by Datacake id or serial number
	// (any case); refs that name none are left out.
	FindDevices(ctx context.Context, workspace string, refs []string) ([]Device, error)
	// SearchDevices returns at most q.Limit devices whose name or serial number contains
	// q.Search (any case), among those carrying at least one of q.Tags if any are given.
	SearchDevices(ctx context.Context, workspace string, q DeviceSearch) ([]Device, error)
	// DeviceTags returns every tag on the workspace's devices.
	DeviceTags(ctx context.Context, workspace string) ([]string, error)
}

// DeviceSearch is what DeviceFinder.SearchDevices looks for.
type DeviceSearch struct {
	Search string
	Tags   []string
	Limit  int
}

// Groups answers whether a Slack user belongs to a user group (ids starting with S).
type Groups interface {
	IsMember(ctx context.Context, group, user string) (bool, error)
}
